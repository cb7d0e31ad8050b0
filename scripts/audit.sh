#!/usr/bin/env bash
# `npm audit --omit=dev`: fails on any advisory against a production dependency unless SECURITY.md
# lists its GHSA id under "Accepted advisories" with the reason. When the registry's advisory endpoint
# cannot be reached (these build machines' registry mirror answers 405), it says SKIPPED and passes;
# with AUDIT_REQUIRED=1 (the hosted CI, .github/workflows/audit.yml) that is a failure instead.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

report=$(npm audit --omit=dev --json 2>/dev/null || true)
node - "$report" <<'JS'
const fs = require('node:fs');
const report = JSON.parse(process.argv[2] || '{}');
if (report.error || report.statusCode) {
  const why = report.message ?? report.error?.summary ?? report.error?.code;
  if (process.env.AUDIT_REQUIRED === '1') {
    console.log(`npm audit: FAILED, the advisory database did not answer (${why})`);
    process.exit(1);
  }
  console.log(
    `npm audit: SKIPPED, the advisory database did not answer (${why}); dependencies were NOT checked ` +
      'here (.github/workflows/audit.yml runs this where it answers)',
  );
  process.exit(0);
}
const accepted = new Set(fs.readFileSync('SECURITY.md', 'utf8').match(/GHSA-[\w-]+/g) ?? []);
const open = [];
for (const [name, vuln] of Object.entries(report.vulnerabilities ?? {})) {
  for (const via of vuln.via) {
    if (typeof via !== 'object') continue;
    const id = String(via.url ?? '').split('/').pop();
    if (!accepted.has(id)) open.push(`${name}: ${via.severity} ${id} ${via.title}`);
  }
}
if (open.length) {
  console.log(`npm audit: ${open.length} advisories not accepted in SECURITY.md:\n  ${open.join('\n  ')}`);
  process.exit(1);
}
console.log('npm audit: no unaccepted advisories in production dependencies');
JS
