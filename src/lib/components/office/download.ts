// Saving a generated file in the browser, and dates in the union's time zone for periods.

export function downloadBlob(fileName: string, blob: Blob): void {
	const url = URL.createObjectURL(blob);
	const link = document.createElement('a');
	link.href = url;
	link.download = fileName;
	link.rel = 'noopener';
	document.body.append(link);
	link.click();
	link.remove();
	setTimeout(() => {
		URL.revokeObjectURL(url);
	}, 10_000);
}

export function downloadText(fileName: string, text: string, type: string): void {
	downloadBlob(fileName, new Blob([text], { type }));
}

/** A file name safe on Windows too. */
export function safeFileName(name: string): string {
	return name.replace(/[\\/:*?"<>|\r\n\t]+/g, '_').slice(0, 120);
}

/** Copies text; where the clipboard API is refused, selects it for the user's own Ctrl-C. */
export async function copyText(text: string, fallback?: HTMLTextAreaElement): Promise<boolean> {
	try {
		await navigator.clipboard.writeText(text);
		return true;
	} catch {
		if (fallback === undefined) return false;
		fallback.focus();
		fallback.select();
		return false;
	}
}
