import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';

export interface MenuItem {
  label: string;
  onSelect(): void;
  shortcut?: string;
  title?: string;
  disabled?: boolean;
  /** A heading shown above this item (starts a group). */
  group?: string;
}

/**
 * A menu button following the WAI-ARIA menu pattern: Enter, Space or the
 * arrows open it; arrows, Home and End move between items; Esc closes it and
 * gives focus back to the button; Tab or a click elsewhere closes it.
 */
export function FileMenu({ items, label = 'File' }: { items: MenuItem[]; label?: string }) {
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLDivElement>(null);
  const id = useId();
  const enabled = items.map((item, i) => (item.disabled ? -1 : i)).filter((i) => i >= 0);

  useEffect(() => {
    if (!open) return;
    menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]')[active]?.focus();
  }, [open, active]);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (!menu.current?.contains(e.target as Node) && !button.current?.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('pointerdown', onPointer);
    return () => window.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const openAt = (which: 'first' | 'last') => {
    setActive(which === 'first' ? (enabled[0] ?? 0) : (enabled.at(-1) ?? 0));
    setOpen(true);
  };
  const close = (refocus: boolean) => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };
  const move = (step: number) => {
    const at = enabled.indexOf(active);
    setActive(enabled[(at + step + enabled.length) % enabled.length] ?? active);
  };

  const onButtonKey = (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown' || e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      openAt('first');
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      openAt('last');
    }
  };
  const onMenuKey = (e: KeyboardEvent) => {
    const keys: Record<string, () => void> = {
      ArrowDown: () => move(1),
      ArrowUp: () => move(-1),
      Home: () => setActive(enabled[0] ?? 0),
      End: () => setActive(enabled.at(-1) ?? 0),
      Escape: () => close(true),
    };
    if (e.key === 'Tab') close(false);
    else if (keys[e.key]) {
      e.preventDefault();
      e.stopPropagation();
      keys[e.key]!();
    }
  };

  const item = 'flex w-full items-center justify-between gap-4 px-3 py-1.5 text-left text-sm hover:bg-panel-raised disabled:opacity-40';
  return (
    <div className="relative">
      <button
        ref={button}
        type="button"
        id={`${id}-button`}
        onClick={() => (open ? close(false) : openAt('first'))}
        onKeyDown={onButtonKey}
        aria-expanded={open}
        aria-haspopup="menu"
        aria-controls={open ? `${id}-menu` : undefined}
        className="rounded px-2 py-1 text-sm hover:bg-panel-raised"
      >
        {label}
      </button>
      {open && (
        <div ref={menu} id={`${id}-menu`} role="menu" aria-labelledby={`${id}-button`} className="absolute left-0 top-8 z-40 w-72 rounded border border-line bg-panel py-1 shadow-lg" onKeyDown={onMenuKey}>
          {items.map((entry, i) => (
            <div key={`${entry.label}-${i}`} role="none">
              {entry.group && (
                <div role="separator" aria-label={entry.group} className="mt-1 border-t border-line px-3 pt-1 text-xs text-muted">
                  {entry.group}
                </div>
              )}
              <button
                type="button"
                role="menuitem"
                tabIndex={i === active ? 0 : -1}
                disabled={entry.disabled}
                title={entry.title ?? entry.shortcut}
                aria-keyshortcuts={entry.shortcut?.replace('Ctrl', 'Control')}
                className={item}
                onMouseEnter={() => !entry.disabled && setActive(i)}
                onClick={() => {
                  close(true);
                  entry.onSelect();
                }}
              >
                <span className="truncate">{entry.label}</span>
                {entry.shortcut && (
                  <span aria-hidden className="text-xs text-muted">
                    {entry.shortcut}
                  </span>
                )}
              </button>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
