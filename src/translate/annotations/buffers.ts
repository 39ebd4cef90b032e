// nginx's buffer annotations: read and checked, so that a wrong value is
// reported as ingress-nginx would refuse it, but not applied: HAProxy buffers
// differently (whole messages in fixed-size buffers, never on disk).

import type { AnnotationGroup } from './group.js';
import { parseNginxSize, type AnnotationValues } from './values.js';

const NOTE = 'HAProxy buffers differently (fixed-size buffers, nothing on disk); the value is checked and has no effect';

function size(values: AnnotationValues, name: string): void {
  const value = values.string(name);
  if (value !== undefined && parseNginxSize(value) === undefined) values.problem(name, 'must be a size such as 8k, 1m or 4096');
}

function onOff(values: AnnotationValues, name: string): void {
  const value = values.string(name);
  if (value !== undefined && value !== 'on' && value !== 'off') values.problem(name, 'must be on or off');
}

export const buffers: AnnotationGroup = {
  annotations: {
    'proxy-buffer-size': { status: 'ignored', note: NOTE },
    'proxy-buffers-number': { status: 'ignored', note: NOTE },
    'proxy-buffering': { status: 'ignored', note: NOTE },
    'proxy-request-buffering': { status: 'ignored', note: NOTE },
    'client-body-buffer-size': { status: 'ignored', note: NOTE },
    'proxy-max-temp-file-size': { status: 'ignored', note: NOTE },
  },
  read(values) {
    size(values, 'proxy-buffer-size');
    values.int('proxy-buffers-number', 1, 1024);
    onOff(values, 'proxy-buffering');
    onOff(values, 'proxy-request-buffering');
    size(values, 'client-body-buffer-size');
    size(values, 'proxy-max-temp-file-size');
  },
};
