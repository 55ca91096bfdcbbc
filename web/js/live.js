// The live WebSocket: connects, reconnects with backoff, and resumes from the last cursor so
// nothing is missed and nothing arrives twice.

const MIN_DELAY = 500;
const MAX_DELAY = 15000;
/** The close code of a socket whose credential was revoked (signed out elsewhere, a new
 * token or password): reconnecting with it would only be refused. */
const CLOSE_REVOKED = 4401;

export class Live {
  /**
   * @param {() => string} token the user's token
   * @param {(frame: object) => void} onFrame called for every frame
   * @param {(state: string) => void} onState 'connecting' | 'open' | 'waiting' | 'revoked'
   */
  constructor(token, onFrame, onState) {
    this.token = token;
    this.onFrame = onFrame;
    this.onState = onState;
    this.cursor = null;
    /** Whether the current connection resumes from a cursor (the server replays what was
     * missed) rather than starting from now. */
    this.resumed = false;
    this.delay = MIN_DELAY;
    this.ws = null;
    this.timer = null;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close();
    this.ws = null;
  }

  connect() {
    clearTimeout(this.timer);
    const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
    const params = new URLSearchParams({ token: this.token() });
    this.resumed = this.cursor !== null;
    if (this.resumed) params.set('cursor', String(this.cursor));
    this.onState('connecting');
    const ws = new WebSocket(`${scheme}://${window.location.host}/api/v1/live?${params}`);
    this.ws = ws;
    ws.addEventListener('message', (event) => {
      let frame;
      try { frame = JSON.parse(event.data); } catch { return; }
      if (frame.type === 'hello') {
        this.delay = MIN_DELAY;
        this.onState('open');
      }
      if (typeof frame.cursor === 'number' && frame.type !== 'resync') {
        this.cursor = Math.max(this.cursor ?? 0, frame.cursor);
      }
      if (frame.type === 'resync') {
        // The server will close this connection; come back from where it says.
        this.cursor = frame.reason === 'gap' ? null : frame.cursor;
      }
      this.onFrame(frame);
    });
    ws.addEventListener('close', (event) => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      if (event.code === CLOSE_REVOKED) {
        this.stopped = true;
        this.onState('revoked');
        return;
      }
      this.onState('waiting');
      // Exponential backoff with jitter, so a restarted server is not stampeded.
      const wait = this.delay * (0.75 + Math.random() * 0.5);
      this.delay = Math.min(this.delay * 2, MAX_DELAY);
      this.timer = setTimeout(() => this.connect(), wait);
    });
  }
}
