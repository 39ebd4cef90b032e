// proxy-body-size: requests with a larger body are refused with 413.

import type { AnnotationGroup } from './group.js';
import { parseNginxSize } from './values.js';

export const bodySize: AnnotationGroup = {
  annotations: {
    'proxy-body-size': { status: 'difference', note: 'checked against Content-Length; a chunked body is not counted' },
  },
  read(values, features) {
    const value = values.string('proxy-body-size');
    if (value === undefined) return;
    const bytes = parseNginxSize(value);
    if (bytes === undefined) {
      values.problem('proxy-body-size', 'must be a size such as 8m, 512k or 1048576 (0: no limit)');
      return;
    }
    if (bytes > 0) features.maxBodyBytes = bytes;
  },
};
