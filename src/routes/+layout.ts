// A static SPA: every page renders in the browser, where the session and the runtime config live.
export const ssr = false;
export const prerender = false;
