/**
 * A stand-in for the parts of Electron the tray and the notifier use: there is no Electron
 * binary on the test machines. Tests install it with `vi.mock('electron', () => import('./fake-electron'))`
 * and read back what was called through the exported instances.
 */
import type { MenuItemConstructorOptions, NotificationConstructorOptions } from 'electron';

export class FakeImage {
  readonly representations: { scaleFactor?: number; buffer?: Buffer }[] = [];
  template = false;
  constructor(
    readonly buffer: Buffer,
    readonly scaleFactor: number | undefined,
  ) {}
  addRepresentation(options: { scaleFactor?: number; buffer?: Buffer }): void {
    this.representations.push(options);
  }
  setTemplateImage(template: boolean): void {
    this.template = template;
  }
}

export const nativeImage = {
  created: [] as FakeImage[],
  createFromBuffer(buffer: Buffer, options?: { scaleFactor?: number }): FakeImage {
    const image = new FakeImage(buffer, options?.scaleFactor);
    nativeImage.created.push(image);
    return image;
  },
};

export class FakeMenu {
  constructor(readonly template: MenuItemConstructorOptions[]) {}
  /** Clicks the item with this id as Electron would. */
  click(id: string): void {
    const item = this.template.find((entry) => entry.id === id);
    if (!item) throw new Error(`no menu item ${id}`);
    if (item.enabled === false) throw new Error(`menu item ${id} is disabled`);
    (item.click as () => void)();
  }
  labels(): string[] {
    return this.template.map((entry) => (entry.type === 'separator' ? '---' : String(entry.label)));
  }
}

export const Menu = {
  buildFromTemplate(template: MenuItemConstructorOptions[]): FakeMenu {
    return new FakeMenu(template);
  },
};

type Listener = (...args: unknown[]) => void;

class Emitter {
  readonly listeners = new Map<string, Listener[]>();
  on(event: string, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const listener of this.listeners.get(event) ?? []) listener(...args);
  }
}

export class Tray extends Emitter {
  static instances: Tray[] = [];
  readonly calls: { method: string; value: unknown }[] = [];
  image: FakeImage;
  toolTip = '';
  menu: FakeMenu | null = null;
  destroyed = false;
  constructor(image: FakeImage) {
    super();
    this.image = image;
    Tray.instances.push(this);
  }
  setImage(image: FakeImage): void {
    this.calls.push({ method: 'setImage', value: image });
    this.image = image;
  }
  setToolTip(toolTip: string): void {
    this.calls.push({ method: 'setToolTip', value: toolTip });
    this.toolTip = toolTip;
  }
  setContextMenu(menu: FakeMenu): void {
    this.calls.push({ method: 'setContextMenu', value: menu });
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export class Notification extends Emitter {
  static supported = true;
  static throwOnShow = false;
  static instances: Notification[] = [];
  shown = false;
  constructor(readonly options: NotificationConstructorOptions) {
    super();
    Notification.instances.push(this);
  }
  static isSupported(): boolean {
    return Notification.supported;
  }
  show(): void {
    if (Notification.throwOnShow) throw new Error('org.freedesktop.Notifications not running');
    this.shown = true;
  }
}

export function resetFakes(): void {
  Tray.instances = [];
  Notification.instances = [];
  Notification.supported = true;
  Notification.throwOnShow = false;
  nativeImage.created = [];
}
