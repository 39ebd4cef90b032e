// proxy-connect-timeout, proxy-read-timeout, proxy-send-timeout: whole
// seconds, as ingress-nginx reads them. Read and send are idle timeouts
// between two reads or two writes; HAProxy has one idle timeout for the
// server side (`timeout server`): it is the read timeout, which decides how
// long a response may take. A send timeout alone raises it above nginx's
// default read timeout (60 s) only.

import type { AnnotationGroup } from './group.js';

const DAY = 86400;

export const timeouts: AnnotationGroup = {
  annotations: {
    'proxy-connect-timeout': { status: 'supported' },
    'proxy-read-timeout': { status: 'supported' },
    'proxy-send-timeout': { status: 'difference', note: 'HAProxy has one idle timeout for both directions: proxy-read-timeout applies to sending too' },
  },
  read(values, features) {
    const connect = values.int('proxy-connect-timeout', 1, DAY);
    const read = values.int('proxy-read-timeout', 1, DAY);
    const send = values.int('proxy-send-timeout', 1, DAY);
    const server = read ?? (send !== undefined ? Math.max(send, 60) : undefined);
    if (connect === undefined && server === undefined) return;
    features.timeouts = { ...(connect !== undefined ? { connectSeconds: connect } : {}), ...(server !== undefined ? { serverSeconds: server } : {}) };
  },
};
