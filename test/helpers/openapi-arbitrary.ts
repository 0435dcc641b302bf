/**
 * Requests from an OpenAPI document: fast-check arbitraries for the values a parameter's JSON
 * Schema allows (the subset `/openapi.json` uses: anyOf, const, enum, arrays, integers with bounds,
 * strings with a pattern or lengths) and the text a value takes in a query string per the
 * parameter's style.
 */
import fc from 'fast-check';

export type Json = Record<string, unknown>;
export interface Parameter {
  name: string;
  in: string;
  description?: string;
  schema: Json;
  style?: string;
  explode?: boolean;
}
export interface Operation {
  parameters?: (Parameter | { $ref: string })[];
  responses: Record<string, unknown>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { responses: Record<string, unknown> };
}

export function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
export function isParameter(value: unknown): value is Parameter {
  return isRecord(value) && typeof value.name === 'string' && typeof value.in === 'string' && isRecord(value.schema);
}
const numberOr = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

/** A fast-check arbitrary for the values a JSON Schema (the subset the document uses) allows; throws on anything else. */
export function arbitraryFor(schema: Json): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.anyOf)) return fc.oneof(...schema.anyOf.filter(isRecord).map(arbitraryFor));
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'array': {
      if (!isRecord(schema.items)) throw new Error('an array without items');
      const minLength = numberOr(schema.minItems, 0);
      // Short lists: the maxItems bound itself is exercised by the unit tests of the validation.
      return fc.array(arbitraryFor(schema.items), { minLength, maxLength: Math.min(numberOr(schema.maxItems, 5), minLength + 4) });
    }
    case 'integer':
      return fc.integer({ min: numberOr(schema.minimum, -1e6), max: numberOr(schema.maximum, 1e6) });
    case 'string':
      if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern));
      return fc.string({ minLength: numberOr(schema.minLength, 0), maxLength: Math.min(numberOr(schema.maxLength, 20), 20) });
    default:
      throw new Error(`no arbitrary for ${JSON.stringify(schema)}`);
  }
}

/** The text of a query value as the parameter's style says (form, explode false: comma-joined). */
export function serialize(parameter: Parameter, value: unknown): string {
  if (Array.isArray(value)) {
    if (parameter.style !== 'form' || parameter.explode !== false) throw new Error(`${parameter.name}: a list without style form, explode false`);
    return value.map(String).join(',');
  }
  return String(value);
}

/** The query parameters of a GET operation, by name. */
export function queryParameters(document: OpenApiDocument, path: string): Map<string, Parameter> {
  const operation = document.paths[path]?.get;
  if (!operation) throw new Error(`the document has no GET ${path}`);
  return new Map((operation.parameters ?? []).filter(isParameter).filter((p) => p.in === 'query').map((p) => [p.name, p]));
}
