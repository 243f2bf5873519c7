// The printable sign-in sheet (签到表), the paper fallback at the door: 序号/姓名/工号/单位/家属/
// 签名, ordered by unit then employee number, split into pages so every page repeats the header.

export interface SignInPerson {
	name: string;
	employeeNo: string;
	unitName: string;
	guestNames: readonly string[];
}

export interface SignInLine {
	number: number;
	name: string;
	employeeNo: string;
	unitName: string;
	guests: string;
}

export const SIGN_IN_HEADERS = ['序号', '姓名', '工号', '单位', '家属', '签名'] as const;

const collator = new Intl.Collator('zh-CN');

/** Numbered lines, by unit then employee number, guests as "家属：张小明、张小红". */
export function signInLines(people: readonly SignInPerson[]): SignInLine[] {
	return [...people]
		.sort(
			(a, b) =>
				collator.compare(a.unitName, b.unitName) || collator.compare(a.employeeNo, b.employeeNo)
		)
		.map((person, index) => ({
			number: index + 1,
			name: person.name,
			employeeNo: person.employeeNo,
			unitName: person.unitName,
			guests: person.guestNames.join('、')
		}));
}

/** Pages of at most `perPage` lines (at least one page, so an empty sheet still prints). */
export function paginate<T>(lines: readonly T[], perPage: number): T[][] {
	const size = Math.max(1, Math.floor(perPage));
	const pages: T[][] = [];
	for (let start = 0; start < lines.length; start += size)
		pages.push(lines.slice(start, start + size));
	return pages.length === 0 ? [[]] : pages;
}

/** The sheet as rows for `toCsv` (which neutralises formula text), signatures left blank. */
export function signInRows(lines: readonly SignInLine[]): (string | number)[][] {
	return [
		[...SIGN_IN_HEADERS],
		...lines.map((line) => [
			line.number,
			line.name,
			line.employeeNo,
			line.unitName,
			line.guests,
			''
		])
	];
}
