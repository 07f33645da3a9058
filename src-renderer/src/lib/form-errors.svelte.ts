/**
 * Client-side field errors of one form (e.g. "Epochs: At least 1."), so the form can refuse to
 * submit while a field shows an error: the draft still holds that field's last valid value, and
 * submitting it silently would not be what the user sees.
 */
import { getContext, setContext } from 'svelte';

const KEY = Symbol('form-errors');

export class FormErrors {
  errors = $state<Record<string, string>>({});
  messages = $derived(Object.values(this.errors));

  set(id: string, message: string | null): void {
    if (message === null) delete this.errors[id];
    else this.errors[id] = message;
  }
}

export function provideFormErrors(): FormErrors {
  const errors = new FormErrors();
  setContext(KEY, errors);
  return errors;
}

/** The enclosing form's registry, if the field sits in one. */
export function useFormErrors(): FormErrors | undefined {
  return getContext<FormErrors | undefined>(KEY);
}

let counter = 0;
/** A unique id for a field's entry. */
export function nextFieldId(): string {
  counter += 1;
  return `field-${counter}`;
}
