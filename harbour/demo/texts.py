"""Synthetic free text for the demo, in English and French. No names, no addresses, no dates:
each text could belong to any case, and none describes a real person."""

import random

# (English, French) pairs, by what the text is for.
NOTES: dict[str, tuple[tuple[str, str], ...]] = {
    "any": (
        ("Met in person. Went over the safety plan together and updated the list of safe "
         "contacts.",
         "Rencontre en personne. Nous avons revu ensemble le plan de sécurité et mis à jour la "
         "liste des contacts sûrs."),
        ("Phone check-in. No new safety concerns reported; the person asked to talk again next "
         "week.",
         "Suivi téléphonique. Aucune nouvelle préoccupation pour sa sécurité; la personne "
         "souhaite qu'on se reparle la semaine prochaine."),
        ("Accompanied to a medical appointment. Tired but engaged; transport arranged for the "
         "next visit.",
         "Accompagnement à un rendez-vous médical. La personne est fatiguée mais engagée; "
         "transport prévu pour la prochaine visite."),
        ("Helped gather documents for an income support application.",
         "Aide à rassembler les documents pour une demande d'aide au revenu."),
        ("Explained again what we record and how it is used; the person is comfortable with it.",
         "Rappel de ce que nous consignons et de l'usage qui en est fait; la personne est à "
         "l'aise avec cela."),
        ("Discussed options for longer-term housing. Will look at two programs together.",
         "Discussion des options de logement à plus long terme. Nous examinerons deux "
         "programmes ensemble."),
        ("Missed appointment. Sent a message through the agreed safe channel.",
         "Rendez-vous manqué. Message envoyé par le moyen sécuritaire convenu."),
    ),
    "sexual": (
        ("Talked about contact from the former partner through social media. Reviewed phone "
         "privacy settings together.",
         "Discussion des contacts de l'ex-partenaire par les médias sociaux. Revue ensemble des "
         "paramètres de confidentialité du téléphone."),
        ("Referred to a trauma counsellor; first session booked.",
         "Orientation vers une thérapeute en traumatisme; première séance réservée."),
        ("Connected with the survivor-led peer support group.",
         "Mise en lien avec le groupe de soutien par les pairs dirigé par des survivantes."),
    ),
    "labour": (
        ("Reviewed pay stubs and hours worked with the legal clinic. Employer kept the passport "
         "until last month.",
         "Revue des talons de paie et des heures travaillées avec la clinique juridique. "
         "L'employeur a gardé le passeport jusqu'au mois dernier."),
        ("Explained the open work permit for vulnerable workers and the temporary resident "
         "permit for victims of trafficking.",
         "Explication du permis de travail ouvert pour les travailleurs vulnérables et du permis "
         "de séjour temporaire pour les victimes de la traite."),
        ("Interpreter present. Worried about the recruitment debt and family back home.",
         "Interprète présent. Inquiétude au sujet de la dette de recrutement et de la famille "
         "restée au pays."),
    ),
}  # fmt: skip

EVENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "recruitment": (
        ("First contact online; offered a relationship and a place to stay.",
         "Premier contact en ligne; on lui a offert une relation et un endroit où rester."),
        ("Offered a job with good pay and housing through a recruiter, who charged a large fee.",
         "Offre d'emploi bien payé avec logement par un recruteur, contre des frais élevés."),
        ("Introduced by a friend at a party.", "Présentation par une amie lors d'une fête."),
    ),
    "transit": (
        ("Moved by car between hotels in several cities.",
         "Déplacements en voiture entre des hôtels de plusieurs villes."),
        ("Arrived by plane; the recruiter kept the travel documents.",
         "Arrivée en avion; le recruteur a gardé les documents de voyage."),
    ),
    "exploitation": (
        ("Advertised online; earnings taken every night.",
         "Annonces en ligne; les revenus étaient pris chaque soir."),
        ("Worked long shifts seven days a week; wages far below what was promised.",
         "Longs quarts de travail sept jours sur sept; salaire bien inférieur à ce qui avait été "
         "promis."),
        ("Lived at the workplace and could not leave without permission.",
         "Logement sur le lieu de travail, sans pouvoir sortir sans permission."),
    ),
}  # fmt: skip

PLANS: dict[str, tuple[str, str, str, str]] = {
    # plan type: objectives (en, fr), action plan (en, fr)
    "safety": ("Feel and be safe day to day.", "Se sentir et être en sécurité au quotidien.",
               "Safety plan, safe phone, check-ins twice a week.",
               "Plan de sécurité, téléphone sûr, suivis deux fois par semaine."),
    "housing": ("Move to stable housing.", "Emménager dans un logement stable.",
                "Apply to two transitional housing programs; visit together.",
                "Demander deux programmes de logement de transition; visites ensemble."),
    "health": ("Get regular health care.", "Obtenir des soins de santé réguliers.",
               "Register with a clinic; book dental and sexual health visits.",
               "S'inscrire à une clinique; prendre rendez-vous en dentisterie et en santé "
               "sexuelle."),
    "legal": ("Understand legal options.", "Comprendre les options juridiques.",
              "Meeting with legal aid; decide about reporting at the person's pace.",
              "Rencontre avec l'aide juridique; décider d'une plainte au rythme de la personne."),
    "immigration": ("Secure a lawful status to stay and work.",
                    "Obtenir un statut légal pour rester et travailler.",
                    "Prepare the TRP or open work permit application with the legal clinic.",
                    "Préparer la demande de PST ou de permis de travail ouvert avec la "
                    "clinique juridique."),
    "financial": ("Stable income.", "Revenu stable.",
                  "Income support application; open a bank account in the person's own name.",
                  "Demande d'aide au revenu; ouvrir un compte bancaire au nom de la personne."),
    "livelihood": ("Find safe, fairly paid work.", "Trouver un travail sûr et bien payé.",
                   "Employment program intake; résumé and interview practice.",
                   "Inscription à un programme d'emploi; CV et préparation aux entrevues."),
    "education": ("Return to school.", "Retourner aux études.",
                  "Meet a school counsellor; look at adult education options.",
                  "Rencontrer une conseillère scolaire; examiner l'éducation des adultes."),
    "labour_exploitation_recovery": (
        "Recover unpaid wages and rebuild stability.",
        "Récupérer les salaires impayés et retrouver de la stabilité.",
        "Employment standards claim; budget for the recruitment debt.",
        "Plainte aux normes du travail; budget pour la dette de recrutement."),
    "sexual_exploitation_recovery": (
        "Heal and rebuild at the person's own pace.",
        "Guérir et se reconstruire à son propre rythme.",
        "Trauma counselling, peer support group, goals reviewed monthly.",
        "Thérapie en traumatisme, groupe de soutien par les pairs, objectifs revus chaque mois."),
}  # fmt: skip

FOLLOW_UPS = (
    ("Doing well; housing stable.", "Ça va bien; logement stable."),
    ("Asked for help with a new job application.", "A demandé de l'aide pour une candidature."),
    ("Worried about being contacted again; safety plan reviewed.",
     "La personne craint d'être recontactée; plan de sécurité revu."),
)  # fmt: skip

REFERRERS = (
    "Hospital emergency department", "Municipal police human trafficking unit",
    "School counsellor", "Child protection agency", "Settlement agency", "Sexual assault centre",
    "Friendship centre", "Community legal clinic", "Youth drop-in centre",
    "Employment standards office",
)  # fmt: skip
EXTERNAL_PROVIDERS = (
    "Community health centre", "Legal aid clinic", "Sexual assault centre",
    "Addiction treatment centre", "Friendship centre", "Settlement agency",
    "Police victim services", "Employment program", "Food bank",
)  # fmt: skip
SCREENING_DETAILS = (
    ("Screened together at the second meeting.",
     "Dépistage fait ensemble à la deuxième rencontre."),
    ("Partial screening; the person preferred to stop and continue later.",
     "Dépistage partiel; la personne a préféré arrêter et continuer plus tard."),
)  # fmt: skip
CLOSURE_DETAILS = (
    ("Goals reviewed together before closing.", "Objectifs revus ensemble avant la fermeture."),
    ("No response to three attempts over two months.",
     "Aucune réponse à trois tentatives en deux mois."),
)  # fmt: skip


def choose(rng: random.Random, options: tuple[tuple[str, str], ...], french: bool) -> str:
    english, francais = rng.choice(options)
    return francais if french else english
