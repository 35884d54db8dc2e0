/**
 * The `LiveComponent` base class: a part of a page with its own state, template and event
 * handlers, rendered by its view (Phoenix's `Phoenix.LiveComponent`).
 * @module
 */
import "../polyfill.js";
import type { User } from "../auth/user.js";
import type { ComponentRef, Rendered, RenderContext } from "../render/tree.js";
import { registerTag } from "../template/custom-tags.js";
import { SafeString } from "../template/safe.js";
import type { LiveView } from "./live-view.js";
import { runtimeOf, type ComponentBinding, type ComponentId } from "./runtime.js";
import { kebabCase } from "./slug.js";

export type { ComponentId } from "./runtime.js";

/**
 * A stateful component. Subclass it; like a view's, its public fields (names not starting with
 * `_`) are its state, which must be serializable — it is snapshotted with its view and restored
 * with it, so a reconnect keeps every component's state.
 *
 * A view places it with `{% live_component "card" id=order.id order=order %}` (the class
 * registered with `app.component(Card)`) or `liveComponent(Card, { id, order })` in html``.
 * Each render of that place calls {@link update} with the assigns; events reach the component's
 * own `@eventHandler`s when the element has `dj-target="{{ myself }}"`.
 *
 * `mount` and `update` are synchronous (they run inside the view's render): load data in the
 * view, or in an event handler, which may be `async`.
 */
export abstract class LiveComponent {
  /** Template file, looked up in the app's template dirs. Or define {@link render}. */
  static templateName?: string;
  /**
   * The name templates use in `{% live_component "name" … %}`.
   * @default the class name kebab-cased, without a trailing `Component` (`OrderCard` → `order-card`)
   */
  static componentName?: string;

  /**
   * Sets the initial state when the component first appears on the page. It runs again before
   * a restore puts the saved state back (so `_private` fields it sets are there too): keep it
   * free of side effects.
   */
  mount?(): void;
  /**
   * Receives the assigns the view passes (`id` included) each time the view renders the
   * component's place, and after a {@link sendUpdate}.
   * @default assigns each of them to the field of the same name
   */
  update?(assigns: Readonly<Record<string, unknown>>): void;
  /** Renders with html``; used when the class has no `templateName`. One root element. */
  render?(assigns: RenderContext): Rendered;
  /** Runs once the browser confirmed the component left the page (`cids_destroyed`). */
  unmount?(): void;

  /** Extra template values computed just before each render; not state. */
  getContextData(): Record<string, unknown> {
    return {};
  }

  /**
   * The component's cid: `dj-target="{{ myself }}"` (templates have `myself` too) sends an
   * element's events to this component instead of the view.
   */
  get myself(): number {
    return bindingOf(this).cid;
  }

  /** The view that renders this component. */
  get view(): LiveView {
    return bindingOf(this).view as LiveView;
  }

  /** The current user, or `null`. */
  get user(): User | null {
    return this.view.user;
  }

  /** `true` while the view is connected (false during the dead render). */
  get connected(): boolean {
    return this.view.connected;
  }

  /** Queues `assigns` for the component `Class`/`id` of the same view (see `LiveView.sendUpdate`). */
  sendUpdate<C extends LiveComponent>(
    component: LiveComponentClass<C>,
    id: ComponentId,
    assigns: Readonly<Record<string, unknown>> = {},
  ): void {
    this.view.sendUpdate(component, id, assigns);
  }

  /** Sends a client-side event, as the view's `pushEvent`. */
  pushEvent(name: string, payload: unknown = {}): void {
    this.view.pushEvent(name, payload);
  }

  /** Shows a flash message, as the view's `putFlash`. */
  putFlash(kind: string, message: string): void {
    this.view.putFlash(kind, message);
  }

  /** Changes the view's URL, as the view's `pushPatch`. */
  pushPatch(to: string, options: { replace?: boolean } = {}): void {
    this.view.pushPatch(to, options);
  }

  /** Navigates to another live view, as the view's `pushNavigate`. */
  pushNavigate(to: string, options: { replace?: boolean } = {}): void {
    this.view.pushNavigate(to, options);
  }

  /** Full-page redirect, as the view's `redirect`. */
  redirect(to: string): void {
    this.view.redirect(to);
  }
}

function bindingOf(component: LiveComponent): ComponentBinding {
  const binding = runtimeOf(component).component;
  if (!binding) {
    throw new Error(`${component.constructor.name} is not rendered by a view (no cid yet)`);
  }
  return binding;
}

/** A concrete LiveComponent class. */
export type LiveComponentClass<C extends LiveComponent = LiveComponent> = (new () => C) &
  typeof LiveComponent;

/** The name of `Class` in `{% live_component %}`. */
export function componentName(Class: typeof LiveComponent): string {
  if (Class.componentName !== undefined) return Class.componentName;
  return kebabCase(Class.name.replace(/Component$/, "") || Class.name);
}

/**
 * What places components while a view renders (the live layer's per-view component table):
 * gives each `(Class, id)` its cid and queues the assigns for the component's update.
 */
export interface ComponentPlacer {
  placeComponent(
    Class: LiveComponentClass,
    assigns: Readonly<Record<string, unknown>>,
  ): ComponentRef;
  /** `{% live_component "name" %}`: the class registered under `name`. */
  placeComponentByName(name: string, assigns: Readonly<Record<string, unknown>>): ComponentRef;
}

// Templates and render() run synchronously, one at a time: the placer of the render in progress.
let activePlacer: ComponentPlacer | undefined;

/** Runs `render` with `placer` receiving the `liveComponent` calls it makes. */
export function withPlacer<T>(placer: ComponentPlacer, render: () => T): T {
  const previous = activePlacer;
  activePlacer = placer;
  try {
    return render();
  } finally {
    activePlacer = previous;
  }
}

/**
 * Places the component `Class` with `assigns` (which must hold its `id`, a string or number
 * unique for the class within the view) in an html`` render:
 * `html`<ul>${orders.map((o) => liveComponent(OrderCard, { id: o.id, order: o }))}</ul>``.
 * The slot holds the component; the component renders itself and changes on its own.
 * @throws Error outside a view's render; TypeError without a valid `id`.
 */
export function liveComponent<C extends LiveComponent>(
  Class: LiveComponentClass<C>,
  assigns: Readonly<{ id: ComponentId } & Record<string, unknown>>,
): ComponentRef {
  return placer().placeComponent(Class, assigns);
}

function placer(): ComponentPlacer {
  if (!activePlacer) throw new Error("liveComponent() places a component while a view renders");
  return activePlacer;
}

registerTag("live_component", {
  fn: (name: unknown, assigns?: Readonly<Record<string, unknown>>) => {
    // A string literal in a template is a safe string.
    if (name instanceof SafeString) name = name.value;
    if (typeof name !== "string") {
      throw new TypeError(
        'the first argument is the component\'s name: {% live_component "card" id=… %}',
      );
    }
    // So is each assign given as one (`label="Sale"`), or through a filter that marks its
    // result safe: the component gets the plain string, which its state can hold and store.
    const plain: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(assigns ?? {})) {
      plain[key] = value instanceof SafeString ? value.value : value;
    }
    return placer().placeComponentByName(name, plain);
  },
});
