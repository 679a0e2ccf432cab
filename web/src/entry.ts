/**
 * The page's one script, which is also its worker: the page starts a Worker from its own text (a
 * `blob:` URL), so the single HTML file works opened from disk, where a separate worker file
 * could not be loaded. The worker reads snapshots: its synchronous file reads (FileReaderSync)
 * are what the snapshot reader's page-at-a-time walk needs, and they exist only in workers.
 */
import { startPage } from './page.ts';
import { startWorker } from './worker.ts';

if (typeof document === 'undefined') startWorker();
else startPage();
