// Prints the headless Chromium that @sparticuz/chromium extracts (ESM-only, so it runs here, in
// plain Node, rather than inside jest's CommonJS module registry): {"executablePath", "args"}.
import chromium from '@sparticuz/chromium';

const executablePath = await chromium.executablePath();
process.stdout.write(JSON.stringify({ executablePath, args: chromium.args }));
