/**
 * Syntax errors in a config file as one line each, that never echo the file's text: a JSON or YAML
 * parser's own message quotes the source (V8's `Unexpected token 's', "{"apiKey": sk_li"...`, the
 * yaml package's excerpt of the broken line), and that line may hold a vendor key. What is printed
 * instead is the line and column, the key path as far as it is made of the config's own key names
 * (a key the schema does not know could be a value the parser mistook for a key, so the path stops
 * before it), and what was expected, in our words.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit } from 'yaml';

export type KeyPath = readonly (string | number)[];

/** A syntax problem located in the text. `path` is already cut to known key names. */
export interface SyntaxProblem {
  line: number;
  column: number;
  path: KeyPath;
  /** What was expected there, in words. */
  message: string;
}

/** The parsed document, or the first syntax problem of the text. */
export type ParseOutcome = { ok: true; value: unknown } | { ok: false; problem: SyntaxProblem };

/** 1-based line and column of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const at = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/** The leading part of `path` made of array indexes and names in `known`. */
export function knownPrefix(path: KeyPath, known: ReadonlySet<string>): KeyPath {
  const end = path.findIndex((part) => typeof part === 'string' && !known.has(part));
  return end === -1 ? path : path.slice(0, end);
}

class JsonSyntaxError extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
    readonly path: KeyPath,
  ) {
    super(expected);
  }
}

const MAX_DEPTH = 256;

/**
 * A strict JSON reader (RFC 8259) used only to locate the first syntax error once `JSON.parse`
 * has refused the text: the offset, what was expected there and the key path to it.
 */
function locateJsonError(text: string): JsonSyntaxError | undefined {
  let i = 0;
  const fail = (expected: string, path: KeyPath, at = i): never => {
    throw new JsonSyntaxError(at, expected, path);
  };
  const space = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i += 1;
  };
  const string = (path: KeyPath, what: string): string => {
    const start = i;
    if (text[i] !== '"') fail(`expected ${what} in double quotes`, path);
    i += 1;
    let out = '';
    for (;;) {
      if (i >= text.length) fail('this string is never closed (a closing " is missing)', path, start);
      const ch = text.charAt(i);
      if (ch === '"') {
        i += 1;
        return out;
      }
      if (ch === '\n' || ch === '\r') fail('this string is never closed on its line (a closing " is missing)', path, start);
      if (ch.charCodeAt(0) < 0x20) fail('a tab or control character inside a string (write it as \\t or \\u00XX)', path);
      if (ch === '\\') {
        const next = text.charAt(i + 1);
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('expected four hex digits after \\u', path);
          out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
          i += 6;
        } else if ('"\\/bfnrt'.includes(next) && next !== '') {
          out += next;
          i += 2;
        } else {
          fail('an unknown escape after \\ (use \\\\ for a backslash)', path);
        }
        continue;
      }
      out += ch;
      i += 1;
    }
  };
  const number = (path: KeyPath): void => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === '-' || match[0] === '') fail('expected a number', path);
    i += match ? match[0].length : 0;
    if (/^[.eE\d]/.test(text.charAt(i))) fail('expected a number (digits, an optional fraction and exponent)', path);
  };
  const value = (path: KeyPath, depth: number): void => {
    if (depth > MAX_DEPTH) fail('the document is nested too deeply', path);
    space();
    const ch = text.charAt(i);
    if (ch === '{') return object(path, depth);
    if (ch === '[') return array(path, depth);
    if (ch === '"') {
      string(path, 'a value');
      return;
    }
    if (ch === '-' || (ch >= '0' && ch <= '9')) return number(path);
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (i >= text.length) fail('the document ends where a value was expected', path);
    fail('expected a value: a "string" in double quotes, a number, true, false, null, an object {…} or a list […]', path);
  };
  const object = (path: KeyPath, depth: number): void => {
    i += 1;
    space();
    if (text[i] === '}') {
      i += 1;
      return;
    }
    for (;;) {
      space();
      if (text[i] === '}') fail('a comma before "}" (JSON allows no trailing comma)', path);
      const key = string(path, 'a key');
      space();
      if (text[i] !== ':') fail('expected ":" after the key', [...path, key]);
      i += 1;
      value([...path, key], depth + 1);
      space();
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === '}') {
        i += 1;
        return;
      }
      fail(i >= text.length ? 'the document ends inside an object (a "}" is missing)' : 'expected "," or "}" after the value', [...path, key]);
    }
  };
  const array = (path: KeyPath, depth: number): void => {
    i += 1;
    space();
    if (text[i] === ']') {
      i += 1;
      return;
    }
    for (let n = 0; ; n += 1) {
      space();
      if (text[i] === ']') fail('a comma before "]" (JSON allows no trailing comma)', path);
      value([...path, n], depth + 1);
      space();
      if (text[i] === ',') {
        i += 1;
        continue;
      }
      if (text[i] === ']') {
        i += 1;
        return;
      }
      fail(i >= text.length ? 'the document ends inside a list (a "]" is missing)' : 'expected "," or "]" after the list item', [...path, n]);
    }
  };
  try {
    space();
    if (i >= text.length) fail('the file is empty', []);
    value([], 0);
    space();
    if (i < text.length) fail('unexpected text after the end of the document', []);
    return undefined;
  } catch (error) {
    if (error instanceof JsonSyntaxError) return error;
    throw error;
  }
}

/** Parses JSON; a syntax error comes back located, never with the parser's excerpt. */
export function parseJsonText(text: string, known: ReadonlySet<string>): ParseOutcome {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    const located = locateJsonError(text);
    const at = lineAndColumn(text, located?.offset ?? text.length);
    return { ok: false, problem: { ...at, path: knownPrefix(located?.path ?? [], known), message: located?.expected ?? 'not valid JSON' } };
  }
}

/** The yaml package's error codes in our words (its own messages may name anchors, tags or keys). */
const YAML_PROBLEMS: Readonly<Record<string, string>> = {
  ALIAS_PROPS: 'an alias (*name) cannot carry a tag or anchor',
  BAD_ALIAS: 'an alias (*name) here is not valid',
  BAD_DIRECTIVE: 'a % directive is not valid',
  BAD_DQ_ESCAPE: 'an unknown escape after \\ in a "double-quoted" value',
  BAD_INDENT: 'the indentation does not line up with the lines above',
  BAD_PROP_ORDER: 'an anchor or tag is in the wrong place',
  BAD_SCALAR_START: 'a plain value cannot start with this character; put the value in quotes',
  BLOCK_AS_IMPLICIT_KEY: 'a "key: value" where only a plain value fits (a second ":" on the line? put the value in quotes)',
  BLOCK_IN_FLOW: 'an indented block inside {…} or […] (a ":" or "-" that should be quoted?)',
  DUPLICATE_KEY: 'a key appears twice in the same mapping',
  IMPOSSIBLE: 'the YAML cannot be read here',
  KEY_OVER_1024_CHARS: 'a key longer than 1024 characters',
  MISSING_CHAR: 'something is missing here: a ":" after a key, a closing quote or bracket, or a "-" before a list item',
  MULTILINE_IMPLICIT_KEY: 'a key spans more than one line (a missing ":" or closing quote above?)',
  MULTIPLE_ANCHORS: 'a node has two anchors',
  MULTIPLE_DOCS: 'more than one document (---) in the file',
  MULTIPLE_TAGS: 'a node has two tags',
  NON_STRING_KEY: 'a key that is not plain text',
  TAB_AS_INDENT: 'a tab used for indentation (YAML needs spaces)',
  TAG_RESOLVE_FAILED: 'a value whose !tag cannot be read',
  UNEXPECTED_TOKEN: 'unexpected text here (check the indentation and the ":" and "-" around it)',
  BAD_COLLECTION_TYPE: 'a collection of the wrong kind for its tag',
};

type YamlNodeOf = ReturnType<typeof parseDocument>['contents'];

function isNode(value: unknown): value is NonNullable<YamlNodeOf> {
  return isScalar(value) || isMap(value) || isSeq(value) || isAlias(value);
}

/** One step of the way down to an offset: the node there and the key path to it. */
interface Step {
  path: KeyPath;
  node: NonNullable<YamlNodeOf>;
}

/** The mapping entries and list items whose text holds `offset`, outermost first. */
function yamlStepsTo(root: unknown, offset: number): Step[] {
  const steps: Step[] = [];
  let path: KeyPath = [];
  let node: unknown = root;
  for (;;) {
    if (isMap(node)) {
      const entry = node.items.findLast((pair) => isNode(pair.key) && (pair.key.range?.[0] ?? Infinity) <= offset);
      if (!entry || !isScalar(entry.key)) return steps;
      // The value's own end (`range[1]`), not the node's, which runs on over the line break.
      const end = (isNode(entry.value) ? entry.value.range?.[1] : entry.key.range?.[1]) ?? 0;
      if (offset > end) return steps;
      path = [...path, String(entry.key.value)];
      node = entry.value;
    } else if (isSeq(node)) {
      const index = node.items.findLastIndex((item) => isNode(item) && (item.range?.[0] ?? Infinity) <= offset);
      const item = node.items[index];
      if (!isNode(item) || offset > (item.range?.[1] ?? 0)) return steps;
      path = [...path, index];
      node = item;
    } else {
      return steps;
    }
    if (!isNode(node)) return steps;
    steps.push({ path, node });
  }
}

/** Where the last `[ … ]` or `{ … }` that opens before `offset` starts. */
function lastFlowCollectionBefore(document: ReturnType<typeof parseDocument>, offset: number): number | undefined {
  let found: number | undefined;
  const note = (node: { flow?: boolean | undefined; range?: readonly number[] | null | undefined }): void => {
    const start = node.range?.[0];
    if (node.flow === true && start !== undefined && start <= offset && (found === undefined || start > found)) found = start;
  };
  visit(document, { Map: (_key, node) => note(node), Seq: (_key, node) => note(node) });
  return found;
}

/** Parses YAML; the first error comes back as one located line, never with the parser's excerpt. */
export function parseYamlText(text: string, known: ReadonlySet<string>): ParseOutcome {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const first = document.errors[0];
  if (first === undefined) {
    try {
      return { ok: true, value: document.toJS() };
    } catch {
      // An alias to no anchor (or an alias explosion): point at the first alias.
      let offset = 0;
      visit(document, {
        Alias(_key, alias) {
          offset = alias.range?.[0] ?? 0;
          return visit.BREAK;
        },
      });
      const at = lines.linePos(offset);
      const path = knownPrefix(yamlStepsTo(document.contents, offset).at(-1)?.path ?? [], known);
      return { ok: false, problem: { line: at.line, column: at.col, path, message: 'an alias (*name) refers to no anchor (&name) above it, or aliases nest too deeply' } };
    }
  }
  const steps = yamlStepsTo(document.contents, first.pos[0]);
  let { offset, path } = { offset: first.pos[0], path: steps.at(-1)?.path ?? [] };
  let message = YAML_PROBLEMS[first.code] ?? 'the YAML cannot be read here';
  // The parser reports an unclosed quote or bracket where it gave up (often a later line or the
  // end of the text); where the quote or bracket opened says more. (Its message is read to tell a
  // bracket from other indentation problems, never printed.)
  const innermost = steps.at(-1)?.node;
  const flow = /^Flow (map|sequence|collection)/i.test(first.message) ? lastFlowCollectionBefore(document, offset) : undefined;
  if (first.code === 'MISSING_CHAR' && isScalar(innermost) && (innermost.type === 'QUOTE_DOUBLE' || innermost.type === 'QUOTE_SINGLE') && innermost.range) {
    offset = innermost.range[0];
    message = 'this quoted value is never closed (its closing quote is missing)';
  } else if (flow !== undefined) {
    offset = flow;
    path = yamlStepsTo(document.contents, flow).at(-1)?.path ?? [];
    message = 'this [ … ] or { … } is never closed (a closing bracket is missing, or a line inside it is not indented past its key)';
  }
  const at = lines.linePos(offset);
  return { ok: false, problem: { line: at.line, column: at.col, path: knownPrefix(path, known), message } };
}
