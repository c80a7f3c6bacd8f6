import { useEffect, useRef, useState, type DragEvent } from 'react';

interface ImageDropZoneProps {
  onFile(file: File): void;
  busy?: boolean;
  children?: React.ReactNode;
}

/** Drop an image, pick one with the file dialog, or paste one from the clipboard. */
export function ImageDropZone({ onFile, busy, children }: ImageDropZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);

  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file) onFile(file);
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, [onFile]);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file) onFile(file);
  };

  return (
    <div
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
      className={`flex min-h-28 flex-col items-center justify-center gap-2 rounded-lg border border-dashed p-4 text-center text-sm ${over ? 'border-accent bg-panel-raised' : 'border-line'}`}
      aria-busy={busy}
    >
      {children}
      <p className="text-muted">
        Drop a PNG, JPEG or WebP here, paste one, or{' '}
        <button type="button" className="text-accent underline" onClick={() => input.current?.click()} title="Choose an image file">
          choose a file
        </button>
        .
      </p>
      <input
        ref={input}
        type="file"
        accept="image/png,image/jpeg,image/webp"
        className="hidden"
        data-testid="image-file"
        onChange={(e) => {
          const file = e.target.files?.[0];
          if (file) onFile(file);
          e.target.value = '';
        }}
      />
    </div>
  );
}
