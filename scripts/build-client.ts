// Writes the prebuilt browser client next to the compiled package (dist/client/djust.js), so an
// installed package serves it without esbuild at run time.
import { writeClientBundle } from "../src/live/client-bundle.js";

const bundle = await writeClientBundle("dist/client/djust.js");
console.log(`dist/client/djust.js (${bundle.code.length} bytes, ${bundle.fileName})`);
