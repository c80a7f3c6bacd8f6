import type { ReactNode } from 'react';

/** A view with nothing to show yet says what to do first. */
export function EmptyState({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="flex h-full items-center justify-center p-8">
      <div className="max-w-lg rounded-lg border border-dashed border-line bg-panel p-8 text-center">
        <h2 className="mb-2 text-lg font-medium text-ink">{title}</h2>
        <div className="text-sm leading-relaxed text-muted">{children}</div>
      </div>
    </div>
  );
}
