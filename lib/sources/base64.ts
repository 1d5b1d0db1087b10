/**
 * Base64 as AWS delivers it in event payloads (awslogs.data, kinesis.data): the standard alphabet
 * with padding. Buffer.from(s, 'base64') silently skips anything else, so a corrupted payload
 * would decode to different bytes instead of failing: check first.
 */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function isPaddedBase64(text: string): boolean {
  return text.length % 4 === 0 && BASE64.test(text);
}

/** The decoded size of a padded base64 text, without decoding it (to refuse oversize input cheaply). */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return Math.max(0, Math.floor((text.length * 3) / 4) - padding);
}
