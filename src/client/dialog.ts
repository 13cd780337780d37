import { el } from './dom.ts';

export interface ConfirmOptions {
  title: string;
  /** Paragraphs and lists that say exactly what will happen. */
  body: Node[];
  confirm: string;
  /** A destructive action gets the warning colour. */
  danger?: boolean;
}

/**
 * Asks the learner to confirm, in a modal <dialog>: focus moves into it, Escape cancels, and focus
 * returns to the button that opened it. Cancel is focused first, so Enter never confirms by
 * accident. Resolves true only when the learner confirms.
 */
export function confirmDialog(o: ConfirmOptions): Promise<boolean> {
  const opener = document.activeElement as HTMLElement | null;
  const dialog = el('dialog', 'tutorial-dialog');
  dialog.setAttribute('aria-labelledby', 'tutorial-dialog-title');
  const form = el('form');
  form.method = 'dialog';
  const title = el('h2', 'tutorial-dialog__title', o.title);
  title.id = 'tutorial-dialog-title';
  const body = el('div', 'tutorial-dialog__body');
  body.append(...o.body);
  const actions = el('div', 'tutorial-dialog__actions');
  const cancel = el('button', 'tutorial-button', 'Cancel');
  cancel.value = 'cancel';
  const ok = el('button', `tutorial-button ${o.danger ? 'tutorial-button--danger' : 'tutorial-button--primary'}`, o.confirm);
  ok.value = 'confirm';
  actions.append(cancel, ok);
  form.append(title, body, actions);
  dialog.append(form);
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'confirm');
      dialog.remove();
      opener?.focus();
    });
    dialog.showModal();
    cancel.focus();
  });
}
