export * from './reference';
export * from './school';
export * from './preRegistration';
export * from './staff';
export * from './parent';
export * from './help';
export * from './privacy';
export * from './campaign';
export * from './document';
import { AcademySchema, CommuneSchema, ProvincialDirectorateSchema, ResidenceZoneSchema } from './reference';
import { AgeRuleSchema, CampaignWindowSchema, RejectionReasonSchema, SchoolCapacitySchema, SchoolSchema, SchoolYearSchema } from './school';
import { NotificationSchema, PhotoSchema, PreRegistrationEventSchema, PreRegistrationRevisionSchema, PreRegistrationSchema } from './preRegistration';
import { AuditLogSchema, StaffApiTokenSchema, StaffRecoveryCodeSchema, StaffUserSchema } from './staff';
import { OneTimeCodeSchema, ParentAccountSchema, PreRegistrationDraftSchema } from './parent';
import { HelpAnswerSchema, HelpRequestSchema, HelpSectionSchema } from './help';
import { ConsentRecordSchema } from './privacy';
import { CampaignDeliverySchema, CampaignMessageSchema, CampaignOptOutSchema } from './campaign';
import { DocumentCorrectionSchema, DocumentRequirementSchema, SupportingDocumentSchema } from './document';

/** Every entity schema, for MikroORM's `entities` option. */
export const ALL_ENTITIES = [
  AcademySchema, ProvincialDirectorateSchema, CommuneSchema, ResidenceZoneSchema,
  SchoolSchema, SchoolYearSchema, SchoolCapacitySchema, AgeRuleSchema, CampaignWindowSchema, RejectionReasonSchema,
  PreRegistrationSchema, PreRegistrationEventSchema, PhotoSchema, NotificationSchema, PreRegistrationRevisionSchema,
  StaffUserSchema, AuditLogSchema, StaffRecoveryCodeSchema, StaffApiTokenSchema,
  ParentAccountSchema, OneTimeCodeSchema, PreRegistrationDraftSchema,
  HelpSectionSchema, HelpRequestSchema, HelpAnswerSchema,
  ConsentRecordSchema,
  CampaignMessageSchema, CampaignDeliverySchema, CampaignOptOutSchema,
  SupportingDocumentSchema, DocumentRequirementSchema, DocumentCorrectionSchema,
];
