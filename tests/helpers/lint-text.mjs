// Lints source texts with the project's ESLint configuration, in a process of its own: Jest's module
// VM cannot load the ESM configuration file. Reads [{ file, code }] on stdin (file relative to the
// repository), writes each text's messages [{ ruleId, message }] as JSON.
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.join(import.meta.dirname, '..', '..');
let input = '';
for await (const chunk of process.stdin) input += chunk;
const eslint = new ESLint({ cwd: root });
const results = [];
for (const { file, code } of JSON.parse(input)) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, file) });
  results.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
}
process.stdout.write(JSON.stringify(results));
