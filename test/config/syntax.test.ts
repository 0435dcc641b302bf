/**
 * Syntax errors located without echoing the file: line, column, the key path (cut before any name
 * the schema does not know) and what was expected. Property tests put a random canary key on the
 * broken line of many kinds of broken JSON and YAML: it never appears in the problem, and the
 * problem points at the line.
 */
import fc from 'fast-check';
import { CONFIG_KEY_NAMES } from '../../src/config';
import { knownPrefix, lineAndColumn, parseJsonText, parseYamlText, type ParseOutcome, type SyntaxProblem } from '../../src/config-syntax';

function problemOf(outcome: ParseOutcome): SyntaxProblem {
  if (outcome.ok) throw new Error('expected a syntax problem');
  return outcome.problem;
}

const canary = fc.stringMatching(/^[A-Za-z0-9]{8,40}$/).map((tail) => `CANARY${tail}`);

/** Broken YAML lines holding the canary, with the column where the problem is reported. */
const YAML_BROKEN_LINES: readonly { line: (c: string) => string; column: number; path: string }[] = [
  { line: (c) => `        apiKey: "${c}`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `        apiKey: '${c}`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `        apiKey: ${c}: x`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `        apiKey: [${c}`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `        apiKey: { k: ${c}`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `        apiKey: @${c}`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `        apiKey: - ${c}`, column: 17, path: 'workspaces.0.connections.0.apiKey' },
  { line: (c) => `\tapiKey: ${c}`, column: 1, path: 'workspaces.0.connections.0' },
  { line: (c) => `        apiKey:${c}`, column: 9, path: 'workspaces.0.connections.0' },
];

function yamlWith(brokenLine: string): string {
  return ['clients:', '  - id: bi', 'workspaces:', '  - id: acme', '    connections:', '      - id: c1', '        provider: sendkit', brokenLine, '        ttlSeconds: 300', ''].join('\n');
}

describe('YAML syntax errors', () => {
  test('a canary on the broken line never appears; the problem points at that line and names the key path', () => {
    fc.assert(
      fc.property(canary, fc.constantFrom(...YAML_BROKEN_LINES), (secret, broken) => {
        const problem = problemOf(parseYamlText(yamlWith(broken.line(secret)), CONFIG_KEY_NAMES));
        expect(JSON.stringify(problem)).not.toContain(secret);
        expect(JSON.stringify(problem)).not.toContain('CANARY');
        expect({ line: problem.line, column: problem.column, path: problem.path.join('.') }).toEqual({ line: 8, column: broken.column, path: broken.path });
        expect(problem.message).not.toMatch(/\n/);
      }),
      { numRuns: 200 },
    );
  });

  test('a canary parsed as a key is cut from the path; known names are kept', () => {
    const text = ['workspaces:', '  - id: acme', '    connections:', '      - CANARYabc123:', '          apiKey: "x', ''].join('\n');
    const problem = problemOf(parseYamlText(text, CONFIG_KEY_NAMES));
    expect(problem.path).toEqual(['workspaces', 0, 'connections', 0]);
    expect(knownPrefix(['workspaces', 0, 'CANARY', 'apiKey'], CONFIG_KEY_NAMES)).toEqual(['workspaces', 0]);
  });

  test('duplicate keys, tabs, two documents and an alias to nothing each give one located problem', () => {
    expect(problemOf(parseYamlText('log:\n  level: info\n  level: debug\n', CONFIG_KEY_NAMES))).toEqual({
      line: 3,
      column: 3,
      path: ['log', 'level'],
      message: 'a key appears twice in the same mapping',
    });
    expect(problemOf(parseYamlText('log:\n\tlevel: info\n', CONFIG_KEY_NAMES))).toMatchObject({ line: 2, column: 1, message: 'a tab used for indentation (YAML needs spaces)' });
    expect(problemOf(parseYamlText('log: {}\n---\nlog: {}\n', CONFIG_KEY_NAMES))).toMatchObject({ line: 2, message: 'more than one document (---) in the file' });
    expect(problemOf(parseYamlText('log:\n  level: *CANARYanchor\n', CONFIG_KEY_NAMES))).toEqual({
      line: 2,
      column: 10,
      path: ['log', 'level'],
      message: 'an alias (*name) refers to no anchor (&name) above it, or aliases nest too deeply',
    });
  });

  test('valid YAML parses to its data', () => {
    expect(parseYamlText('log:\n  level: info\nlist: [1, "two"]\n', CONFIG_KEY_NAMES)).toEqual({ ok: true, value: { log: { level: 'info' }, list: [1, 'two'] } });
  });
});

/** Broken JSON values for `apiKey`, holding the canary, with the column of the problem (the value starts at column 17). */
const JSON_BROKEN_VALUES: readonly { value: (c: string) => string; column: (c: string) => number; path: string }[] = [
  { value: (c) => c, column: () => 17, path: 'workspaces.0.connections.0.apiKey' },
  { value: (c) => `"${c}`, column: () => 17, path: 'workspaces.0.connections.0.apiKey' },
  { value: (c) => `"${c}" "x": 1`, column: (c) => 17 + c.length + 3, path: 'workspaces.0.connections.0.apiKey' },
  { value: (c) => `"${c}\\q"`, column: (c) => 17 + c.length + 1, path: 'workspaces.0.connections.0.apiKey' },
  { value: (c) => `"${c}\t"`, column: (c) => 17 + c.length + 1, path: 'workspaces.0.connections.0.apiKey' },
  { value: (c) => `'${c}'`, column: () => 17, path: 'workspaces.0.connections.0.apiKey' },
  { value: (c) => `"${c}",}`, column: (c) => 17 + c.length + 3, path: 'workspaces.0.connections.0' },
  { value: (c) => `-${c}`, column: () => 17, path: 'workspaces.0.connections.0.apiKey' },
];

function jsonWith(value: string): string {
  return ['{', '  "workspaces": [{', '    "id": "acme",', '    "connections": [{', '      "id": "c1",', `      "apiKey": ${value}`, '    }]', '  }]', '}'].join('\n');
}

describe('JSON syntax errors', () => {
  test('a canary on the broken line never appears (V8 would quote it); the problem points at it', () => {
    fc.assert(
      fc.property(canary, fc.constantFrom(...JSON_BROKEN_VALUES), (secret, broken) => {
        const problem = problemOf(parseJsonText(jsonWith(broken.value(secret)), CONFIG_KEY_NAMES));
        expect(JSON.stringify(problem)).not.toContain('CANARY');
        expect({ line: problem.line, column: problem.column, path: problem.path.join('.') }).toEqual({ line: 6, column: broken.column(secret), path: broken.path });
      }),
      { numRuns: 200 },
    );
  });

  test('says what was expected for the common mistakes', () => {
    const cases: [string, Omit<SyntaxProblem, 'path'> & { path: string }][] = [
      ['', { line: 1, column: 1, path: '', message: 'the file is empty' }],
      ['{"log": {"level": "info",}}', { line: 1, column: 26, path: 'log', message: 'a comma before "}" (JSON allows no trailing comma)' }],
      ['{"clients": [1, 2,]}', { line: 1, column: 19, path: 'clients', message: 'a comma before "]" (JSON allows no trailing comma)' }],
      ['{"log" {}}', { line: 1, column: 8, path: 'log', message: 'expected ":" after the key' }],
      ['{log: 1}', { line: 1, column: 2, path: '', message: 'expected a key in double quotes' }],
      ['{"clients": [1 2]}', { line: 1, column: 16, path: 'clients.0', message: 'expected "," or "]" after the list item' }],
      ['{"a": 1} x', { line: 1, column: 10, path: '', message: 'unexpected text after the end of the document' }],
      ['{"server": {"port": 08080}}', { line: 1, column: 22, path: 'server.port', message: 'expected a number (digits, an optional fraction and exponent)' }],
      ['{"server": {"port": 1', { line: 1, column: 22, path: 'server.port', message: 'the document ends inside an object (a "}" is missing)' }],
      ['{"x": "\\u12"}', { line: 1, column: 8, path: '', message: 'expected four hex digits after \\u' }],
    ];
    for (const [text, expected] of cases) {
      const problem = problemOf(parseJsonText(text, CONFIG_KEY_NAMES));
      expect({ ...problem, path: problem.path.join('.') }).toEqual(expected);
    }
  });

  test('any JSON value parses as JSON.parse reads it; any cut of a document is either valid or located inside the text', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(parseJsonText(text, CONFIG_KEY_NAMES)).toEqual({ ok: true, value: JSON.parse(text) });
      }),
    );
    fc.assert(
      fc.property(
        fc.json().filter((text) => text.length > 1),
        fc.nat(),
        (text, cut) => {
          const broken = text.slice(0, cut % text.length);
          const outcome = parseJsonText(broken, CONFIG_KEY_NAMES);
          let valid = true;
          try {
            JSON.parse(broken);
          } catch {
            valid = false;
          }
          expect(outcome.ok).toBe(valid);
          if (!outcome.ok) {
            const end = lineAndColumn(broken, broken.length);
            expect(outcome.problem.line).toBeLessThanOrEqual(end.line);
            expect(outcome.problem.message).not.toBe('not valid JSON');
          }
        },
      ),
    );
  });

  test('lineAndColumn counts from 1', () => {
    expect(lineAndColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 });
    expect(lineAndColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 });
    expect(lineAndColumn('ab', 99)).toEqual({ line: 1, column: 3 });
  });
});
