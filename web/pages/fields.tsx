// Form fields with their reason beside them: a field that was refused is marked invalid and
// points at its message (aria-describedby), so a screen reader reads why.

export function FieldError(props: { name: string; error: string | undefined }) {
  if (props.error === undefined) return null;
  return (
    <p class="field-error" id={`${props.name}-error`}>
      {props.error}
    </p>
  );
}

interface TextFieldProps {
  name: string;
  label: string;
  value?: string;
  error: string | undefined;
  type?: "text" | "password";
  autocomplete?: string;
  hint?: string;
  list?: string;
  required?: boolean;
}

export function TextField(props: TextFieldProps) {
  return (
    <div class={props.error === undefined ? "field" : "field invalid"}>
      <label for={props.name}>{props.label}</label>
      <input
        id={props.name}
        name={props.name}
        type={props.type ?? "text"}
        value={props.type === "password" ? undefined : props.value}
        autocomplete={props.autocomplete}
        list={props.list}
        required={props.required}
        aria-invalid={props.error === undefined ? undefined : "true"}
        aria-describedby={props.error === undefined ? undefined : `${props.name}-error`}
      />
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      <FieldError name={props.name} error={props.error} />
    </div>
  );
}

export function CheckboxField(props: { name: string; label: string; checked: boolean; hint?: string; error: string | undefined }) {
  return (
    <div class={props.error === undefined ? "field checkbox" : "field checkbox invalid"}>
      <label>
        <input type="checkbox" name={props.name} value="on" checked={props.checked} aria-describedby={props.error === undefined ? undefined : `${props.name}-error`} />{" "}
        {props.label}
      </label>
      {props.hint ? <p class="hint">{props.hint}</p> : null}
      <FieldError name={props.name} error={props.error} />
    </div>
  );
}

/** A message about the whole form (a 409: nothing was changed). */
export function FormError(props: { error: string | undefined }) {
  if (props.error === undefined) return null;
  return (
    <p class="form-error" role="alert">
      {props.error}
    </p>
  );
}
