/** The part of autocannon's API (v8+, which ships no types) that bench/api-latency.ts uses. */
declare module 'autocannon' {
  interface Options {
    url: string;
    method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
    headers?: Record<string, string>;
    /** `[<id>]` in the body becomes a fresh id per request when `idReplacement` is set. */
    body?: string;
    idReplacement?: boolean;
    connections?: number;
    /** Requests to send in all; overrides `duration`. */
    amount?: number;
  }

  /** Milliseconds; percentiles as `p50`, `p99`, ... */
  interface Histogram {
    average: number;
    min: number;
    max: number;
    p50: number;
    p90: number;
    p99: number;
    total: number;
  }

  interface Result {
    /** Seconds. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    statusCodeStats: Record<string, { count: number }>;
    /** Latencies of 2xx replies only. */
    latency: Histogram;
    requests: Histogram & { sent: number };
  }

  function autocannon(options: Options): Promise<Result>;
  export = autocannon;
}
