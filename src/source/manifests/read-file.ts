// Reads one manifest file, refusing it past a size limit without reading
// more than the limit, and telling whether it changed since a known
// signature without reading it at all.

import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export type ReadResult =
  | { status: 'missing' }
  | { status: 'directory' }
  | { status: 'unchanged'; signature: string }
  | { status: 'too-large'; signature: string; bytes: number }
  /** The text, and the SHA-256 of its bytes (the bytes themselves are not kept: they would double the peak for a large file). */
  | { status: 'read'; signature: string; digest: string; text: string };

/** mtime, size and inode: a rescan re-reads only files whose signature changed. */
function signatureOf(info: { mtimeMs: number; size: number; ino: number }): string {
  return `${info.mtimeMs}:${info.size}:${info.ino}`;
}

export async function readManifestFile(path: string, limit: number, knownSignature?: string): Promise<ReadResult> {
  let handle: FileHandle;
  try {
    // Non-blocking: opening a FIFO someone left in the tree must not hang the source.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EISDIR' ? { status: 'directory' } : { status: 'missing' };
  }
  try {
    const info = await handle.stat();
    if (info.isDirectory()) return { status: 'directory' };
    if (!info.isFile()) return { status: 'missing' };
    const signature = signatureOf(info);
    if (signature === knownSignature) return { status: 'unchanged', signature };
    if (info.size > limit) return { status: 'too-large', signature, bytes: info.size };
    // The file may grow while it is read: never hold more than limit + 1 bytes.
    let buffer = Buffer.allocUnsafe(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit) return { status: 'too-large', signature, bytes: length };
        const larger = Buffer.allocUnsafe(Math.min(buffer.length * 2, limit + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) return { status: 'too-large', signature, bytes: length };
    const content = buffer.subarray(0, length);
    return { status: 'read', signature, digest: createHash('sha256').update(content).digest('hex'), text: content.toString('utf8') };
  } catch {
    return { status: 'missing' };
  } finally {
    await handle.close().catch(() => undefined);
  }
}
