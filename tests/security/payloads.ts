/**
 * Hostile strings sent through every text input: script injection in its HTML, attribute, URL and
 * template forms, SQL injection in its quoting, comment, stacked, UNION and time-based forms, plus
 * strings PostgreSQL itself refuses (NUL) or that break naive escaping (backslashes, LIKE wildcards).
 */
export const XSS = [
  '<script>alert(document.cookie)</script>',
  '"><img src=x onerror=alert(1)>',
  "'><svg/onload=alert(1)>",
  'javascript:alert(1)',
  '<a href="javascript:alert(1)">click</a>',
  '{{constructor.constructor("alert(1)")()}}',
  '${7*7}<%= 7*7 %>',
  '</textarea><iframe src="https://evil.example"></iframe>',
];

export const SQL = [
  "' OR '1'='1",
  "'; DROP TABLE organizations; --",
  "Robert'); DELETE FROM messages; --",
  "1' UNION SELECT password_hash FROM users --",
  "'; SELECT pg_sleep(5); --",
  '" OR ""="',
  "\\'; --",
  "%' OR 1=1 --",
  '_%_%',
  "admin'--",
];

/** Strings the database cannot store as text: refused with a 4xx, never a 500. */
export const UNSTORABLE = ['nul\u0000byte'];

export const PAYLOADS = [...XSS, ...SQL];

/** Text that must never reach a client: database errors, stack frames, driver internals. */
export const LEAK =
  /syntax error|relation "|column "|SQLSTATE|pg_catalog|violates|knex|objection|node_modules|at \S+\.(ts|js):\d+/i;
