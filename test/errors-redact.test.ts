/**
 * `redactSecrets` with many secrets (a big agency's hundreds of vendor keys) goes through an index
 * of their first characters: the same result as trying each secret in turn, on any text; a secret
 * added to the list later is cut too.
 */
import fc from 'fast-check';
import { redactSecrets } from '../src/errors';

/** The plain rule, one secret after the other. */
function oneByOne(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 3 && out.includes(secret)) out = out.split(secret).join('[REDACTED]');
  return out;
}

// Lower-case letters only: no secret can start to match inside an inserted "[REDACTED]".
const piece = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', '0', '_'), minLength: 1, maxLength: 12 });

describe('redactSecrets', () => {
  test('with 17 to 60 secrets, the same text as cutting each secret in turn', () => {
    fc.assert(
      fc.property(fc.array(piece, { minLength: 17, maxLength: 60 }), fc.array(piece, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 8 }), (secrets, filler, picks) => {
        // Texts made of filler and of secrets, so that secrets (and overlapping ones) do occur.
        const text = filler.map((part, i) => `${part}${secrets[(picks[i] ?? 0) % secrets.length] ?? ''}`).join('');
        expect(redactSecrets(text, secrets)).toBe(oneByOne(text, secrets));
      }),
      { numRuns: 3000 },
    );
  });

  test('800 vendor keys: each one is cut wherever it appears, and a key added to the list later is cut too', () => {
    const keys = Array.from({ length: 800 }, (_, i) => `sk_agencyKey_${String(i).padStart(6, '0')}_${(i * 7919).toString(36)}`);
    const text = `calling /v1/x?api_key=${keys[799] ?? ''} with ${keys[0] ?? ''} and ${keys[400] ?? ''}${keys[400] ?? ''}`;
    expect(redactSecrets(text, keys)).toBe('calling /v1/x?api_key=[REDACTED] with [REDACTED] and [REDACTED][REDACTED]');
    keys.push('late-added-secret-0123');
    expect(redactSecrets('x late-added-secret-0123 y', keys)).toBe('x [REDACTED] y');
    expect(redactSecrets('abc', keys)).toBe('abc');
  });
});
