// Sound and vibration for a verdict: distinct tones a busy door can tell apart without looking
// (high single beep: in; two mid beeps: already in; low long buzz: refused).
import type { Tone } from '#lib/domain/checkin.ts';

let audio: AudioContext | null = null;

/** Creates (or resumes) the audio context; call from a user gesture (browsers require one). */
export function unlockAudio(): void {
	try {
		audio ??= new AudioContext();
		if (audio.state === 'suspended') void audio.resume();
	} catch {
		audio = null;
	}
}

function beep(frequency: number, start: number, duration: number, type: OscillatorType): void {
	if (audio === null) return;
	const oscillator = audio.createOscillator();
	const gain = audio.createGain();
	oscillator.type = type;
	oscillator.frequency.value = frequency;
	const at = audio.currentTime + start;
	gain.gain.setValueAtTime(0.0001, at);
	gain.gain.exponentialRampToValueAtTime(0.3, at + 0.01);
	gain.gain.exponentialRampToValueAtTime(0.0001, at + duration);
	oscillator.connect(gain).connect(audio.destination);
	oscillator.start(at);
	oscillator.stop(at + duration + 0.02);
}

const VIBRATION: Record<Tone, number[]> = {
	ok: [60],
	warn: [80, 60, 80],
	error: [300]
};

export function signal(tone: Tone, options: { sound: boolean }): void {
	if (options.sound && audio !== null && audio.state === 'running') {
		if (tone === 'ok') beep(1320, 0, 0.12, 'sine');
		else if (tone === 'warn') {
			beep(660, 0, 0.1, 'sine');
			beep(660, 0.16, 0.1, 'sine');
		} else beep(220, 0, 0.4, 'square');
	}
	try {
		if ('vibrate' in navigator) navigator.vibrate(VIBRATION[tone]);
	} catch {
		// Not allowed here (iOS, or no user gesture yet): the screen and sound still tell.
	}
}
