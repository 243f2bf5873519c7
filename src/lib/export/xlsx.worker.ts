// The XLSX export's worker: writes the workbook off the page's main thread, so the office page
// keeps scrolling and answering while a large sheet is made. Rows are written as they arrive and
// not kept. Started by xlsx.ts, only on export.
import { XlsxStream } from '#lib/domain/xlsx-writer.ts';
import { XLSX_MIME, type XlsxReply, type XlsxRequest } from './xlsx-protocol.ts';

const scope = self as unknown as {
	onmessage: ((event: MessageEvent<XlsxRequest>) => void) | null;
	postMessage(message: XlsxReply): void;
};

let stream: XlsxStream | null = null;

scope.onmessage = (event) => {
	const message = event.data;
	try {
		if (message.kind === 'start') {
			stream = new XlsxStream(message.sheets, message.options);
			return;
		}
		if (stream === null) throw new Error('rows before the start of a workbook');
		if (message.kind === 'rows') {
			stream.rows(message.sheet, message.rows);
		} else {
			const chunks = stream.finish();
			stream = null;
			scope.postMessage({ ok: true, blob: new Blob(chunks, { type: XLSX_MIME }) });
		}
	} catch (error) {
		stream = null;
		scope.postMessage({
			ok: false,
			message: error instanceof Error ? error.message : String(error)
		});
	}
};
