/** The longest `webhook-id` accepted, in characters. */
export const MAX_WEBHOOK_ID_LENGTH = 256;

/**
 * Whether `value` can be a `webhook-id` (also applied to a JWT's `jti` standing in for one): 1 to 256 printable
 * ASCII characters without spaces, /^[\x21-\x7e]{1,256}$/, so that the signed content is never ambiguous and no
 * log line or error carries a raw, unchecked id.
 */
export function isUsableWebhookId(value: string): boolean {
  if (value.length === 0 || value.length > MAX_WEBHOOK_ID_LENGTH) return false;
  // The pattern above as a loop: it runs on every delivery, and a loop avoids the regular expression call.
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x21 || code > 0x7e) return false;
  }
  return true;
}
