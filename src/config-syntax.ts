/**
 * Syntax errors in a config file as one line each, that never echo the file's text: a JSON or YAML
 * parser's own message quotes the source (V8's `Unexpected token 's', "{"apiKey": sk_li"...`, the
 * yaml package's excerpt of the broken line), and that line may hold a vendor key. What is printed
 * instead is the line and column, the key path as far as it is made of the config's own key names
 * (a key the schema does not know could be a value the parser mistook for a key, so the path stops
 * before it), and what was expected, in our words.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

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
      if (ch.charCodeAt(0) < 0x20) fail('a line break or control character inside a string (is a closing " missing?)', path);
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
  MISSING_CHAR: 'a closing quote, bracket or "-" is missing',
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

interface Located {
  path: (string | number)[];
  /** Where the innermost node around the offset starts. */
  node: YamlNode | undefined;
}

/** The key path of the deepest mapping entry or list item whose text holds `offset`. */
function yamlPathAt(root: unknown, offset: number): Located {
  const path: (string | number)[] = [];
  let node: unknown = root;
  let innermost: YamlNode | undefined;
  for (;;) {
    if (isMap(node)) {
      const entry = node.items.findLast((pair) => {
        const start = (isScalar(pair.key) || isMap(pair.key) || isSeq(pair.key) ? pair.key.range?.[0] : undefined) ?? Number.POSITIVE_INFINITY;
        return start <= offset;
      });
      if (!entry || !isScalar(entry.key)) return { path, node: innermost };
      const value = entry.value;
      const end = (isScalar(value) || isMap(value) || isSeq(value) ? value.range?.[2] : entry.key.range?.[2]) ?? 0;
      if (offset > end) return { path, node: innermost };
      path.push(String(entry.key.value));
      node = value;
      if (isScalar(value) || isMap(value) || isSeq(value)) innermost = value;
    } else if (isSeq(node)) {
      const index = node.items.findLastIndex((item) => (isScalar(item) || isMap(item) || isSeq(item) ? (item.range?.[0] ?? Infinity) <= offset : false));
      const item = node.items[index];
      if (index === -1 || !(isScalar(item) || isMap(item) || isSeq(item)) || offset > (item.range?.[2] ?? 0)) return { path, node: innermost };
      path.push(index);
      node = item;
      innermost = item;
    } else {
      return { path, node: innermost };
    }
  }
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
      // Only alias explosions and the like throw here; no source text is quoted.
      return { ok: false, problem: { line: 1, column: 1, path: [], message: 'the YAML cannot be turned into data (aliases nested too deeply?)' } };
    }
  }
  let offset = first.pos[0];
  let message = YAML_PROBLEMS[first.code] ?? 'the YAML cannot be read here';
  const { path, node } = yamlPathAt(document.contents, offset);
  // The parser reports an unclosed quote where the text ends; the quote's own start says more.
  if (first.code === 'MISSING_CHAR' && isScalar(node) && (node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE') && node.range) {
    offset = node.range[0];
    message = 'this quoted value is never closed (its closing quote is missing)';
  }
  const at = lines.linePos(offset);
  return { ok: false, problem: { line: at.line, column: at.col, path: knownPrefix(path, known), message } };
}
