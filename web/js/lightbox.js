// The lightbox: a message's image opens as large as the window allows, in a modal dialog.
// Esc (the dialog's own cancel), a click anywhere or the close button return to the chat, with
// the focus back where it was.

export class Lightbox {
  constructor(dialog) {
    this.dialog = dialog;
    this.image = dialog.querySelector('img');
    this.returnTo = null;
    dialog.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => {
      // The event comes a task after the closing: the dialog may be open again by then.
      if (dialog.open) return;
      this.image.removeAttribute('src');
      this.returnTo?.focus();
      this.returnTo = null;
    });
  }

  /** Shows `img` (an <img> of a message) full size. */
  open(img) {
    this.returnTo = document.activeElement;
    this.image.src = img.currentSrc || img.src;
    this.image.alt = img.alt;
    this.dialog.showModal();
  }
}
