// Search and paging, done on the server so that the page never holds more
// than one page of 10,000 routes. A query is words that must all appear
// (case-insensitive) in a row's search text.

export interface PageRequest {
  q: string;
  page: number;
  size: number;
}

export interface Page<T> {
  total: number;
  page: number;
  size: number;
  pages: number;
  items: T[];
}

export const MAX_PAGE_SIZE = 200;
const DEFAULT_PAGE_SIZE = 50;

/** Reads `q`, `page` (from 1) and `size` (1 to MAX_PAGE_SIZE), falling back to defaults for anything malformed. */
export function pageRequest(params: URLSearchParams): PageRequest {
  const number = (value: string | null, fallback: number) => (value !== null && /^[0-9]{1,6}$/.test(value) ? Number(value) : fallback);
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    page: Math.max(1, number(params.get('page'), 1)),
    size: Math.min(MAX_PAGE_SIZE, Math.max(1, number(params.get('size'), DEFAULT_PAGE_SIZE))),
  };
}

/** The requested page of the rows whose text holds every word of the query; a page past the end is the last one. */
export function pageOf<T>(rows: readonly T[], text: (row: T, index: number) => string, request: PageRequest): Page<T> {
  const words = request.q.toLowerCase().split(/\s+/).filter((word) => word !== '');
  const matching = words.length === 0 ? rows : rows.filter((row, index) => {
    const haystack = text(row, index);
    return words.every((word) => haystack.includes(word));
  });
  const pages = Math.max(1, Math.ceil(matching.length / request.size));
  const page = Math.min(request.page, pages);
  const start = (page - 1) * request.size;
  return { total: matching.length, page, size: request.size, pages, items: matching.slice(start, start + request.size) };
}
