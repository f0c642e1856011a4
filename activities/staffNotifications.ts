/**
 * Deadlines on the school side: remind the school's director(s) when a request waits too long for a
 * decision, and alert the directorate's supervisor(s) when it waits longer still (escalation: the
 * request is flagged `escalatedAt`). Messages go by email (SMTP adapter), in Arabic and French
 * together (staff read both); they carry the reference and the school code, not the child's data.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { ApplicationFailure } from '@temporalio/activity';
import Handlebars from 'handlebars';
import type { Config } from '../config';
import { PreRegistration, StaffUser } from '../entities';
import { addEvent } from './database';
import type { Mailer } from './email';
import type { Activities } from './types';

const LRI = '\u2066';
const PDI = '\u2069';
const subject = Handlebars.compile('Tasjil — {{kind}} — {{ref}}', { noEscape: true });
const body = Handlebars.compile(
  `{{arLine}}
${LRI}{{url}}${PDI}

{{frLine}}
{{url}}
`, { noEscape: true },
);

/** Builds `remindDirector` and `escalateToSupervisor`. */
export function createStaffNotificationActivities(deps: { orm: MikroORM; config: Config; mailer: Mailer }): Pick<Activities, 'remindDirector' | 'escalateToSupervisor'> {
  const { orm, config, mailer } = deps;
  const load = async (reference: string) => {
    const em = orm.em.fork();
    const pr = await em.findOne(PreRegistration, { reference }, { populate: ['school', 'school.parentSchool'] });
    if (!pr) throw ApplicationFailure.nonRetryable(`pre-registration ${reference} not found`, 'PreRegistrationNotFound');
    return { em, pr };
  };
  const send = async (to: string[], kind: string, reference: string, arLine: string, frLine: string) => {
    const url = `${config.publicBaseUrl}/staff/requests/${encodeURIComponent(reference)}`;
    for (const address of to) {
      await mailer.send({ to: address, subject: subject({ kind, ref: reference }), text: body({ arLine, frLine, url }), html: `<p dir="rtl" lang="ar">${Handlebars.escapeExpression(arLine)}</p><p lang="fr">${Handlebars.escapeExpression(frLine)}</p><p><a href="${Handlebars.escapeExpression(url)}">${Handlebars.escapeExpression(url)}</a></p>` });
    }
    return to.length;
  };
  return {
    async remindDirector(reference) {
      const { em, pr } = await load(reference);
      const schoolCodes = [pr.school.code, pr.school.parentSchool?.code].filter((x): x is string => Boolean(x));
      const directors = await em.find(StaffUser, { role: 'director', active: true, school: { code: { $in: schoolCodes } }, email: { $ne: null } });
      const sent = await send(directors.map((d) => d.email!), 'rappel / تذكير', reference,
        `الطلب ${LRI}${reference}${PDI} في انتظار قراركم منذ مدة. المرجو البت فيه.`,
        `La demande ${reference} attend votre décision depuis plusieurs jours. Merci de la traiter.`);
      await addEvent(em, pr, 'reminder', 'reminder', { details: { recipients: sent } });
      return { recipients: sent };
    },
    async escalateToSupervisor(reference) {
      const { em, pr } = await load(reference);
      pr.escalatedAt ??= new Date();
      await em.flush();
      const school = await em.findOneOrFail(PreRegistration, { reference }, { populate: ['school.directorate'] });
      const supervisors = await em.find(StaffUser, { role: 'provincialSupervisor', active: true, directorate: { code: school.school.directorate.code }, email: { $ne: null } });
      const sent = await send(supervisors.map((s) => s.email!), 'alerte / تنبيه', reference,
        `الطلب ${LRI}${reference}${PDI} (المؤسسة ${LRI}${pr.school.code}${PDI}) لم يُبتّ فيه في الآجال.`,
        `La demande ${reference} (établissement ${pr.school.code}) n'a pas été traitée dans les délais.`);
      await addEvent(em, pr, 'escalated', 'escalated', { details: { recipients: sent } });
      return { recipients: sent };
    },
  };
}
