/**
 * Runs the type-level test test/app/input-keys.typecheck.ts through the TypeScript compiler, so
 * the app's own test run (and `zapier-platform test`) checks it, not only `npm run typecheck`:
 * as written it compiles cleanly, and without its `@ts-expect-error` comments each renamed key
 * is a compile error.
 */
import path from 'node:path';

import ts from 'typescript';

const ROOT = path.resolve(__dirname, '../..');
const FILE = path.join(__dirname, 'input-keys.typecheck.ts');

const config = ts.getParsedCommandLineOfConfigFile(
  path.join(ROOT, 'tsconfig.json'),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  },
)!;

/** Type errors in FILE (its text changed by `edit`), one line each: "line: message". */
function typeErrors(edit: (text: string) => string = (text) => text, oldProgram?: ts.Program) {
  const host = ts.createCompilerHost(config.options);
  const read = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    path.resolve(name) === FILE ? ts.createSourceFile(name, edit(ts.sys.readFile(name)!), language) : read(name, language, ...rest);
  const program = ts.createProgram({ rootNames: [FILE], options: { ...config.options, noEmit: true }, host, oldProgram });
  const source = program.getSourceFile(FILE)!;
  const diagnostics = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
  const errors = diagnostics.map((d) => {
    const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
    return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
  return { program, errors };
}

describe('input field keys are checked by tsc (test/app/input-keys.typecheck.ts)', () => {
  let program: ts.Program;

  it('compiles cleanly: the real performs fit their fields, and every expected error occurs', () => {
    const result = typeErrors();
    program = result.program;
    expect(result.errors).toEqual([]);
  });

  it('without the @ts-expect-error comments, each renamed key is a compile error', () => {
    const { errors } = typeErrors((text) => text.replace(/\/\/ @ts-expect-error.*$/gm, ''), program);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/Property 'lead_id' is missing/);
    expect(errors[1]).toMatch(/Property 'title' does not exist/);
    expect(errors[2]).toMatch(/Property 'status' does not exist/);
  });
});
