// Reading CSV as union offices meet it: files saved by Excel on Chinese Windows (GBK, CRLF),
// UTF-8 with or without a BOM, RFC 4180 quoting. Pure functions, no DOM. (Writing exports is
// export-csv.ts.)

const BOM = '\uFEFF';

/**
 * Decodes the bytes of a text file: UTF-8 (a BOM is dropped) when they are valid UTF-8, else
 * GBK, the encoding Excel on Chinese Windows saves CSV files in.
 */
export function decodeText(bytes: Uint8Array): string {
	return decodeTextWithEncoding(bytes).text;
}

/** decodeText, also saying which encoding it took (the import screen shows it). */
export function decodeTextWithEncoding(bytes: Uint8Array): {
	text: string;
	encoding: 'utf-8' | 'gbk';
} {
	let text: string;
	let encoding: 'utf-8' | 'gbk' = 'utf-8';
	try {
		text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
	} catch {
		text = new TextDecoder('gbk').decode(bytes);
		encoding = 'gbk';
	}
	return { text: text.startsWith(BOM) ? text.slice(1) : text, encoding };
}

/**
 * Parses CSV text (RFC 4180): fields separated by commas, records by CRLF, LF or CR; a quoted
 * field may hold commas, line breaks and doubled quotes. A BOM is ignored, and so is a last
 * empty line. Returns the records as arrays of raw (untrimmed) fields.
 */
export function parseCsv(text: string): string[][] {
	const source = text.startsWith(BOM) ? text.slice(1) : text;
	const records: string[][] = [];
	let record: string[] = [];
	let field = '';
	let quoted = false;
	let i = 0;
	while (i < source.length) {
		const char = source.charAt(i);
		if (quoted) {
			if (char === '"') {
				if (source[i + 1] === '"') {
					field += '"';
					i += 2;
					continue;
				}
				quoted = false;
				i += 1;
				continue;
			}
			field += char;
			i += 1;
			continue;
		}
		if (char === '"' && field === '') {
			quoted = true;
			i += 1;
		} else if (char === ',') {
			record.push(field);
			field = '';
			i += 1;
		} else if (char === '\r' || char === '\n') {
			record.push(field);
			records.push(record);
			record = [];
			field = '';
			i += char === '\r' && source[i + 1] === '\n' ? 2 : 1;
		} else {
			field += char;
			i += 1;
		}
	}
	if (field !== '' || record.length > 0) {
		record.push(field);
		records.push(record);
	}
	return records;
}
