// The camera: the rear one preferred, torch where the browser offers it, switching between
// cameras. getUserMedia needs a secure context (https or localhost), as WebCrypto does.

export type CameraProblem = 'denied' | 'not_found' | 'insecure' | 'unsupported' | 'busy';

export class CameraError extends Error {
	readonly problem: CameraProblem;

	constructor(problem: CameraProblem, message: string) {
		super(message);
		this.name = 'CameraError';
		this.problem = problem;
	}
}

export async function openCamera(deviceId?: string): Promise<MediaStream> {
	if (typeof window !== 'undefined' && !window.isSecureContext) {
		throw new CameraError('insecure', 'the camera needs https');
	}
	const media = (navigator as Partial<Navigator>).mediaDevices;
	if (media?.getUserMedia === undefined) throw new CameraError('unsupported', 'no getUserMedia');
	const video: MediaTrackConstraints =
		deviceId === undefined
			? { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } }
			: { deviceId: { exact: deviceId }, width: { ideal: 1280 }, height: { ideal: 720 } };
	try {
		return await media.getUserMedia({ video, audio: false });
	} catch (error) {
		const name = error instanceof DOMException ? error.name : '';
		if (name === 'NotAllowedError' || name === 'SecurityError') {
			throw new CameraError('denied', String(error));
		}
		if (name === 'NotFoundError' || name === 'OverconstrainedError') {
			throw new CameraError('not_found', String(error));
		}
		if (name === 'NotReadableError' || name === 'AbortError') {
			throw new CameraError('busy', String(error));
		}
		throw new CameraError('unsupported', String(error));
	}
}

export function stopStream(stream: MediaStream | null): void {
	for (const track of stream?.getTracks() ?? []) track.stop();
}

interface TorchCapabilities extends MediaTrackCapabilities {
	torch?: boolean;
}

export function torchSupported(stream: MediaStream | null): boolean {
	const track = stream?.getVideoTracks()[0];
	if (track === undefined || typeof track.getCapabilities !== 'function') return false;
	return (track.getCapabilities() as TorchCapabilities).torch === true;
}

export async function setTorch(stream: MediaStream | null, on: boolean): Promise<boolean> {
	const track = stream?.getVideoTracks()[0];
	if (track === undefined) return false;
	try {
		await track.applyConstraints({ advanced: [{ torch: on } as MediaTrackConstraintSet] });
		return true;
	} catch {
		return false;
	}
}

/** The cameras, once permission was given (labels are empty before). */
export async function videoInputs(): Promise<MediaDeviceInfo[]> {
	const media = (navigator as Partial<Navigator>).mediaDevices;
	if (media?.enumerateDevices === undefined) return [];
	const devices = await media.enumerateDevices();
	return devices.filter((device) => device.kind === 'videoinput');
}

/** The device id of the stream's camera, to pick the next one when switching. */
export function currentDeviceId(stream: MediaStream | null): string | undefined {
	return stream?.getVideoTracks()[0]?.getSettings().deviceId;
}
