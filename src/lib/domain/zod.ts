// zod for the whole app, configured once. zod/mini: the same validators as zod without its
// method chains (which no bundler can shake off). The app's CSP has no 'unsafe-eval': zod's JIT
// would probe `new Function` and trip a CSP violation report, so it runs jitless; every module
// with schemas imports z from here, which sets that before any schema is built.
import * as z from 'zod/mini';

z.config({ jitless: true });

export { z };
