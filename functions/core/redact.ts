// Placeholder until the redaction rules land.
export function redact(text: string): string {
  return text;
}
