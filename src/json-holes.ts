/**
 * JSON made once with holes for the values made per use (a replayed answer's `sources`/`meta`, a
 * repeated log line): each such value is first written as a marker string, the JSON is made by the
 * rule that always makes it, and the text is cut at the markers. Filling the holes then costs
 * those values' JSON, not the whole document's.
 */
import { randomUUID } from 'node:crypto';

/** JSON text with holes: `texts[0]`, the value of `holes[0]`, `texts[1]`, … */
export interface HoledText<H> {
  texts: string[];
  holes: H[];
}

/** Marks a hole while the JSON is made (random per process: no value from elsewhere can hold it). */
const MARK = `json-hole-${randomUUID()}-`;

/** The markers of one document: `mark` each value made per use, then `cut` the JSON made with them. */
export class HoleMarks<H> {
  private readonly marked: H[] = [];

  /** A marker string to put where `hole`'s value goes. */
  mark(hole: H): string {
    return `${MARK}${this.marked.push(hole) - 1}`;
  }

  /** How many holes were marked. */
  get count(): number {
    return this.marked.length;
  }

  /** `json` (made with the markers as string values) cut at each marker, in the order they appear. */
  cut(json: string): HoledText<H> {
    const texts: string[] = [];
    const holes: H[] = [];
    let from = 0;
    for (const match of json.matchAll(new RegExp(`"${MARK}(\\d+)"`, 'g'))) {
      texts.push(json.slice(from, match.index));
      holes.push(this.marked[Number(match[1])] as H);
      from = match.index + match[0].length;
    }
    texts.push(json.slice(from));
    return { texts, holes };
  }
}

/** The text with each hole's value (its JSON, from `valueOf`) in its place. */
export function fillHoles<H>(template: HoledText<H>, valueOf: (hole: H) => string): string {
  const { texts, holes } = template;
  let text = texts[0] ?? '';
  for (let i = 0; i < holes.length; i += 1) text += valueOf(holes[i] as H) + (texts[i + 1] ?? '');
  return text;
}
