import type { WebSocket } from 'ws';

/**
 * Pings the socket every `intervalMs`; a socket that has not answered the previous ping by the
 * next tick is terminated (its 'close' then ends the terminal). While `excused()` says a pong
 * could not have been read (input paused: the socket is not read), the socket counts as alive.
 * Returns the timer; clear it when the socket closes.
 */
export function startHeartbeat(ws: WebSocket, intervalMs: number, excused: () => boolean = () => false): NodeJS.Timeout {
  let alive = true;
  ws.on('pong', () => (alive = true));
  const timer = setInterval(() => {
    if (excused()) return void (alive = true);
    if (!alive) return ws.terminate();
    alive = false;
    try {
      ws.ping();
    } catch {
      /* closing */
    }
  }, intervalMs);
  timer.unref();
  return timer;
}
