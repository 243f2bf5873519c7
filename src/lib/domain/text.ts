/** Characters as Postgres counts them (code points), not UTF-16 units: 😀 is one. */
export function characterCount(text: string): number {
	return Array.from(text).length;
}
