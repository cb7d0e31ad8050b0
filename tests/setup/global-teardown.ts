/** Once per run, after every file: stops what global setup started. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.parleyStripeFront?.close();
}
