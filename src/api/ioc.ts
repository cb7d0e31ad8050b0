import type { Request } from 'express';
import type { IocContainer, IocContainerFactory } from '@tsoa/runtime';
import { servicesOf, type ApiServices } from './services';

type ControllerClass<T> = new (services: ApiServices) => T;

/** tsoa builds each controller per request with the app's services (no global singletons). */
export const iocContainer: IocContainerFactory<Request> = (request): IocContainer => ({
  get: <T>(controller: unknown): T => new (controller as ControllerClass<T>)(servicesOf(request)),
});
