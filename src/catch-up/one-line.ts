/** Text from elsewhere (an API's or a store's error message) as one bounded line for a catch-up report. */
export function oneLine(text: string): string {
  const flat = text
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
