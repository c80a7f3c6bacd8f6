/** A short message where the action happened: an error (announced) or a plain status. */
export function Message({ text, error = true, className = 'text-xs' }: { text?: string; error?: boolean; className?: string }) {
  if (!text) return null;
  return (
    <p role={error ? 'alert' : 'status'} className={`${className} ${error ? 'text-danger' : 'text-muted'}`}>
      {text}
    </p>
  );
}
