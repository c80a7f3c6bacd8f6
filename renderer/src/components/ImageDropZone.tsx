import { useEffect, useRef, useState, type DragEvent } from 'react';

/** What an import may say back: its warnings (a tiny image upscaled), shown under the zone. */
type Imported = { warnings?: string[] } | undefined | void;

interface ImageDropZoneProps {
  /** Reads the file; while the promise is pending for over 150 ms the zone shows that it is busy. */
  onFile(file: File): Promise<Imported> | void;
  busy?: boolean;
  children?: React.ReactNode;
}

/** Below this an import feels instant; above it, the zone says it is reading. */
const BUSY_AFTER_MS = 150;

/** Drop an image, pick one with the file dialog, or paste one from the clipboard. */
export function ImageDropZone({ onFile: readFile, busy: busyOutside, children }: ImageDropZoneProps) {
  const input = useRef<HTMLInputElement>(null);
  const [over, setOver] = useState(false);
  const [reading, setReading] = useState<string>();
  const [warnings, setWarnings] = useState<string[]>([]);
  const busy = busyOutside || !!reading;

  const onFile = async (file: File) => {
    setWarnings([]);
    const timer = setTimeout(() => setReading(file.name), BUSY_AFTER_MS);
    try {
      const imported = await readFile(file);
      setWarnings(imported?.warnings ?? []);
    } finally {
      clearTimeout(timer);
      setReading(undefined);
    }
  };
  // Paste listens on the window once; it reads the latest handler.
  const onFileRef = useRef(onFile);
  onFileRef.current = onFile;

  useEffect(() => {
    const onPaste = (event: ClipboardEvent) => {
      const file = [...(event.clipboardData?.files ?? [])].find((f) => f.type.startsWith('image/'));
      if (file) void onFileRef.current(file);
    };
    window.addEventListener('paste', onPaste);
    return () => window.removeEventListener('paste', onPaste);
  }, []);

  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    const file = event.dataTransfer.files[0];
    if (file) void onFile(file);
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
      {reading && (
        <p role="status" className="text-accent" data-testid="import-busy">
          Reading {reading}…
        </p>
      )}
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
          if (file) void onFile(file);
          e.target.value = '';
        }}
      />
      {warnings.map((w) => (
        <p key={w} role="status" className="text-xs text-warning" data-testid="import-warning">
          {w}
        </p>
      ))}
    </div>
  );
}
