// Gateway listener sockets the data plane found it cannot bind
// (dataplane/haproxy/sockets.ts): left out of the translations, their
// listeners PortUnavailable, so that the rest is applied. Like refused
// certificates, they are tried again when what they came from changes: any
// change of the Gateways.

import type { UnbindableSocket } from '../dataplane/haproxy/sockets.js';
import type { Snapshot } from '../translate/translate.js';

export class UnbindableSockets {
  /** `address|port` ('' for the shared bind address) → why; replaced, never changed, as translate remembers its inputs by identity. */
  private sockets: ReadonlyMap<string, string> = new Map();
  private gateways: Snapshot['gateways'];

  /** The sockets to leave out of a translation of `snapshot`; forgotten once its Gateways changed. */
  current(snapshot: Snapshot): ReadonlyMap<string, string> {
    if (snapshot.gateways !== this.gateways) {
      this.gateways = snapshot.gateways;
      if (this.sockets.size > 0) this.sockets = new Map();
    }
    return this.sockets;
  }

  /** Adds the sockets found unbindable; returns those that are new. */
  add(found: readonly UnbindableSocket[]): UnbindableSocket[] {
    const fresh = found.filter((socket) => !this.sockets.has(`${socket.address}|${socket.port}`));
    if (fresh.length > 0) this.sockets = new Map([...this.sockets, ...fresh.map((socket) => [`${socket.address}|${socket.port}`, socket.reason] as const)]);
    return fresh;
  }
}
