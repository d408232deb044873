/** How a value reads in an error message, by its kind, never its content. */

/** `a string`, `a number`, `an object`, `an array`, `null`, `undefined` … for error messages. */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  const type = typeof value
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`
}
