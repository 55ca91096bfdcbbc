// Keyboard shortcuts, as in Slack and Element: Alt+↑ / Alt+↓ open the chat above or below the
// open one in the list (the first with none open); Esc cancels the reply being written, or, one
// pane at a time (a phone), goes back from the chat to the list. The lightbox and the mention
// list take their own Esc first.

/** Listens on the document; `openChat(chat)` opens a chat, `back()` returns to the list. */
export function installShortcuts({ chatList, composer, openChat, back }) {
  document.addEventListener('keydown', (e) => {
    if (e.defaultPrevented || e.isComposing) return;
    if (e.altKey && !e.ctrlKey && !e.metaKey && !e.shiftKey && (e.key === 'ArrowUp' || e.key === 'ArrowDown')) {
      const next = chatList.neighbour(e.key === 'ArrowUp' ? -1 : 1);
      e.preventDefault(); // at either end too: Alt+arrows would otherwise move through history
      if (next) openChat(next);
      return;
    }
    if (e.key !== 'Escape' || e.altKey || e.ctrlKey || e.metaKey) return;
    if (document.querySelector('dialog[open]')) return;
    if (composer.replying) {
      e.preventDefault();
      composer.replyTo(null);
      return;
    }
    if (document.body.classList.contains('chat-open') && matchMedia('(max-width: 700px)').matches) {
      e.preventDefault();
      back();
    }
  });
}
