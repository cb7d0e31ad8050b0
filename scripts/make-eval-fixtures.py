#!/usr/bin/env python3
"""Write the PDF and DOCX documents of the evaluation dataset in tests/fixtures/eval/kettle-and-crane/.

The other documents (Markdown, HTML, plain text) and questions.json are committed by hand beside them.
Run in a throwaway venv:

    python3 -m venv /tmp/fixtures-venv
    /tmp/fixtures-venv/bin/pip install reportlab==5.1.0 python-docx==1.2.0
    /tmp/fixtures-venv/bin/python scripts/make-eval-fixtures.py
"""
from pathlib import Path

from docx import Document
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "eval" / "kettle-and-crane"

# (heading level or 0 for a paragraph, text)
BILLING = [
    (1, "Billing and payments"),
    (0, "Your card is charged on the day your coffee is roasted, not on the day it is delivered. "
        "The amount is the price of the bag plus delivery; UK delivery is free on every subscription."),
    (2, "Payment methods"),
    (0, "We accept Visa, Mastercard and American Express cards, Apple Pay and Google Pay, and PayPal. "
        "We do not accept cash on delivery or cheques."),
    (2, "Invoices and receipts"),
    (0, "A VAT receipt is emailed after every charge. All past receipts can be downloaded as PDF files "
        "from Account, then Orders. Business customers can add a company name and VAT number to their "
        "receipts under Account, then Billing details."),
    (2, "When a payment fails"),
    (0, "If a charge is declined we try the card again after 24 hours and once more after 72 hours. "
        "We email you each time. Your coffee is held, not sent, until the payment goes through. "
        "After the third failed attempt the subscription is paused until you update the card."),
    (2, "Prices"),
    (0, "A 250 g bag costs £9.50 on a subscription and £11 as a single purchase. A 1 kg bag costs £32 on "
        "a subscription. When prices change we email you at least 30 days before the new price applies."),
]

REWARDS = [
    (1, "Crane Club rewards"),
    (0, "Crane Club is our loyalty programme. Every subscriber is a member automatically; there is "
        "nothing to sign up for and nothing to pay."),
    (2, "Earning beans"),
    (0, "You earn 10 beans for every pound you spend on subscriptions and in the shop. Refer a friend "
        "and you both receive 500 beans when their first bag is delivered. Writing a review of a roast "
        "earns 50 beans, once per roast."),
    (2, "Spending beans"),
    (0, "1,000 beans are worth a free 250 g bag. Beans are spent at checkout, or applied automatically "
        "to your next subscription bag when you switch on Auto-redeem in Account, then Rewards."),
    (2, "Expiry"),
    (0, "Beans expire 12 months after you earn them. Cancelling your subscription does not remove your "
        "beans; they stay on your account until they expire."),
]

SECURITY = [
    (1, "Account and security"),
    (0, "Keep your Kettle & Crane account safe with these steps."),
    (2, "Resetting your password"),
    (0, "On the sign-in page choose Forgot password and enter your email address. The reset link we "
        "send is valid for one hour and works once. If the email does not arrive within ten minutes, "
        "check your spam folder."),
    (2, "Two-step verification"),
    (0, "Open Account, then Security, and switch on two-step verification. Each time you sign in on a "
        "new device we send a six-digit code by text message. Keep the backup codes shown when you switch "
        "it on: each backup code works once if you lose your phone."),
    (2, "Changing your email address"),
    (0, "Change your email address under Account, then Profile. We send a confirmation link to the new "
        "address and the change takes effect once you open it."),
    (2, "Closing your account"),
    (0, "To close your account, cancel your subscription first, then choose Close account at the bottom "
        "of the Profile page. We delete your personal data within 30 days, except invoices, which the "
        "law requires us to keep for six years."),
]

REFUNDS = [
    (1, "Returns, refunds and cancellations"),
    (0, "We want every bag to be right. Here is what to do when it is not."),
    (2, "Damaged or wrong bags"),
    (0, "If a bag arrives damaged, or you received the wrong roast or grind, send us a photo within 14 days "
        "of delivery. We send a replacement or refund the bag in full, whichever you prefer, and you do "
        "not need to return anything."),
    (2, "Coffee you did not enjoy"),
    (0, "Not every roast suits every taste. Tell us what you did not like and we will swap your next bag "
        "for a different roast at no charge. We cannot refund opened coffee you did not enjoy."),
    (2, "Equipment returns"),
    (0, "Unused brewing equipment from the shop can be returned within 30 days for a full refund. Use the "
        "prepaid returns label in the parcel. Refunds reach your card within five working days of the "
        "return arriving at the roastery."),
    (2, "Cancelling a subscription"),
    (0, "Cancel at any time from the dashboard with Cancel subscription. There is no minimum term and no "
        "cancellation fee. A bag that has already been roasted is still sent and charged."),
]


def pdf(name: str, title: str, blocks: list[tuple[int, str]]) -> None:
    styles = getSampleStyleSheet()
    style = {0: styles["BodyText"], 1: styles["Heading1"], 2: styles["Heading2"]}
    doc = SimpleDocTemplate(str(OUT / name), pagesize=A4, title=title, invariant=True)
    doc.build([Paragraph(text.replace("&", "&amp;"), style[level]) for level, text in blocks])


def docx(name: str, title: str, blocks: list[tuple[int, str]]) -> None:
    document = Document()
    document.core_properties.title = title
    for level, text in blocks:
        if level:
            document.add_heading(text, level=level)
        else:
            document.add_paragraph(text)
    document.save(str(OUT / name))


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    pdf("billing-and-payments.pdf", "Billing and payments", BILLING)
    pdf("crane-club-rewards.pdf", "Crane Club rewards", REWARDS)
    docx("account-and-security.docx", "Account and security", SECURITY)
    docx("returns-and-refunds.docx", "Returns, refunds and cancellations", REFUNDS)


if __name__ == "__main__":
    main()
