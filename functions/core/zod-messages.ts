// zod/mini ships without messages ("Invalid input" for everything); this installs zod's English
// ones, the same text the full zod prints, for every schema in the process. Imported for its
// effect by contracts.ts, which every Lambda imports. The locale is imported on its own: going
// through `z.locales` would bundle every language (~260 KB).
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
