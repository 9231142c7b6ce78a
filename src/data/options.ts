/**
 * Options objects are checked for unknown keys, so that a misspelt option (`batch_size`, the
 * PyTorch spelling) fails loudly instead of silently taking the default.
 */
export function checkKnownOptions(where: string, options: unknown, known: readonly string[]): void {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${Array.isArray(options) ? 'an array' : String(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      const camel = key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
      const hint = camel !== key && known.includes(camel) ? ` (did you mean ${camel}?)` : '';
      throw new TypeError(`${where}: unknown option ${JSON.stringify(key)}${hint}; known options are ${known.join(', ')}`);
    }
  }
}
